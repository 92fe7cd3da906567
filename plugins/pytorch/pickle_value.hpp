// What the pickle machine builds: an arena of plain nodes that refer to one
// another by index, never by pointer. So no destructor, copy or walk of a
// file's objects recurses (a pickle can nest 200k containers, or put a list
// inside itself), and the arena is freed in one go. Strings are views of the
// input (zero copy); the input must outlive the arena.
#pragma once

#include "torch_globals.hpp"

#include <weightio/plugin_abi.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weightio::pytorch {

using Ref = uint32_t;

enum class Kind : uint8_t {
  none,
  boolean,     // a = 0 or 1
  integer,     // a = the int64's bits
  big_integer, // an int outside int64 (LONG1 of more than 8 bytes)
  floating,    // a = the double's bits
  string,      // a = offset in the input, b = bytes (valid UTF-8)
  bytes,       // a = offset in the input, b = bytes
  tuple,       // a = its item list (Objects::items)
  list,        // a = its item list
  dict,        // a = its item list, flat key/value pairs, in insertion order
  set,         // items dropped: a set is never a leaf weightio keeps
  global,      // a = index into Objects::globals
  storage,     // a persistent id: a = index into Objects::views
  tensor,      // a = index into Objects::tensors
  refused,     // a tensor weightio does not read: a = TensorKind
  opaque,      // data that is no leaf weightio keeps: a = Opaque
};

// What an opaque value is, for the warning that counts skipped values.
enum class Opaque : uint8_t { complex, device, bytearray, layout };

// "dict", "tensor", ...: what a node is, for messages.
std::string_view kind_name(Kind kind) noexcept;

struct Node;
// As kind_name, but telling opaque values ("complex", "device") and ints
// beyond 64 bits apart.
std::string_view value_name(const Node &node) noexcept;

inline constexpr uint8_t kOrdered = 1; // an OrderedDict, whose BUILD torch allows

struct Node {
  Kind kind = Kind::none;
  uint8_t flags = 0; // dict: kOrdered
  uint16_t reserved2 = 0;
  // Containers: how deep they nest (1 = they hold no container), as far as
  // the machine saw while building; the tree walk checks it again.
  uint32_t depth = 0;
  uint64_t a = 0;
  uint64_t b = 0;
};

// A global the allowlist resolved, and its spelling for messages.
struct GlobalRecord {
  GlobalRef ref;
  std::string_view module;
  std::string_view name;
};

// One storage of the checkpoint, by key ('storage', class, key, location,
// numel): every persistent id giving the key shares it.
struct StorageRecord {
  std::string_view key;
  bool typed = true;                // a typed storage class; else UntypedStorage
  wio_dtype dtype = WIO_DTYPE_BOOL; // typed: its element type
  uint64_t numel = 0;               // elements (typed) or bytes (untyped)
};

// What a persistent id resolves to: a storage, or (legacy view_metadata) a
// range of one. In the storage's units: elements, or bytes when untyped.
struct StorageView {
  uint32_t storage = 0;
  uint64_t base = 0;
  uint64_t numel = 0;
};

struct TensorRecord {
  uint32_t view = 0;                // index into Objects::views
  wio_dtype dtype = WIO_DTYPE_BOOL; // of the elements
  uint64_t offset = 0;              // elements from the view's start
  std::vector<int64_t> shape;
  std::vector<int64_t> strides;
};

class Objects {
public:
  // `input`: the bytes pickles are read from; `max_objects`: the most nodes
  // (and so memory) the file may make, refused with sdk::over_limit past it.
  Objects(std::span<const uint8_t> input, uint64_t max_objects)
      : input_(input), max_objects_(max_objects) {}

  std::span<const uint8_t> input() const { return input_; }

  // A new node (and, for tuple, list and dict, its empty item list). Throws
  // sdk::LimitExceeded past max_objects.
  Ref add(Node node);
  Ref add(Kind kind, uint64_t a = 0, uint64_t b = 0) { return add(Node{kind, 0, 0, 0, a, b}); }

  Node &operator[](Ref r) { return nodes_[r]; }
  const Node &operator[](Ref r) const { return nodes_[r]; }
  size_t size() const { return nodes_.size(); }

  // A tuple's, list's or dict's items.
  std::vector<Ref> &items(Ref r) { return lists_[nodes_[r].a]; }
  const std::vector<Ref> &items(Ref r) const { return lists_[nodes_[r].a]; }

  std::string_view text(Ref r) const {
    const Node &n = nodes_[r];
    return {reinterpret_cast<const char *>(input_.data() + n.a), static_cast<size_t>(n.b)};
  }

  std::vector<GlobalRecord> globals;
  std::vector<StorageRecord> storages;
  std::unordered_map<std::string_view, uint32_t> storage_by_key;
  std::vector<StorageView> views;
  std::vector<TensorRecord> tensors;

private:
  std::span<const uint8_t> input_;
  uint64_t max_objects_;
  std::vector<Node> nodes_;
  std::vector<std::vector<Ref>> lists_;
};

inline bool is_container(Kind k) {
  return k == Kind::tuple || k == Kind::list || k == Kind::dict;
}

} // namespace weightio::pytorch
