// Nested parameter trees and MLX-style flatten / unflatten.
//
// A tree node is empty, a leaf (a tensor), a list, or an insertion-ordered
// dict. flatten joins keys with '.' and list items by index
// ("layers.0.weight"), as MLX's tree_flatten; unflatten turns a level whose
// keys are all integers back into a list (gaps become empty dicts), as MLX's
// tree_unflatten.
#pragma once

#include <weightio/params.hpp>

#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace weightio {

template <class LeafT> class BasicTree {
public:
  enum class Kind { Empty, Leaf, List, Dict };

  BasicTree() = default;
  using Leaf = LeafT;
  BasicTree(LeafT leaf) : kind_(Kind::Leaf), leaf_(std::move(leaf)) {}
  static BasicTree dict() { return BasicTree(Kind::Dict); }
  static BasicTree list() { return BasicTree(Kind::List); }

  Kind kind() const noexcept { return kind_; }
  bool is_leaf() const noexcept { return kind_ == Kind::Leaf; }
  bool is_list() const noexcept { return kind_ == Kind::List; }
  bool is_dict() const noexcept { return kind_ == Kind::Dict; }

  // Throws Error(InvalidArgument) when the node is not a leaf.
  const Leaf &leaf() const {
    require(Kind::Leaf, "a leaf");
    return *leaf_;
  }
  // List items; throws when not a list.
  const std::vector<BasicTree> &items() const {
    require(Kind::List, "a list");
    return items_;
  }
  // Dict entries in insertion order; throws when not a dict.
  const std::vector<std::pair<std::string, BasicTree>> &entries() const {
    require(Kind::Dict, "a dict");
    return entries_;
  }

  // Dict access: returns the child named `key`, creating an empty one if
  // absent. An empty node becomes a dict. Throws when the node is a leaf or list.
  // Constant time on average (a hash index beside the ordered entries).
  BasicTree &operator[](const std::string &key) {
    become(Kind::Dict, "a dict");
    auto [it, inserted] = index_.try_emplace(key, entries_.size());
    if (inserted)
      entries_.emplace_back(key, BasicTree());
    return entries_[it->second].second;
  }
  // Dict lookup; throws Error(InvalidArgument) naming the key when absent.
  const BasicTree &at(const std::string &key) const {
    require(Kind::Dict, "a dict");
    if (auto it = index_.find(key); it != index_.end())
      return entries_[it->second].second;
    throw Error(ErrorCode::InvalidArgument, "no key '" + key + "' in parameter tree");
  }
  // List access (checked).
  const BasicTree &at(size_t index) const {
    if (index >= items().size())
      throw Error(ErrorCode::InvalidArgument,
                  "index " + std::to_string(index) + " out of range in parameter tree");
    return items_[index];
  }
  // Appends to a list. An empty node becomes a list.
  BasicTree &append(BasicTree child) {
    become(Kind::List, "a list");
    items_.push_back(std::move(child));
    return items_.back();
  }

private:
  explicit BasicTree(Kind k) : kind_(k) {}
  static const char *kind_name(Kind k) {
    switch (k) {
    case Kind::Empty:
      return "empty";
    case Kind::Leaf:
      return "a leaf";
    case Kind::List:
      return "a list";
    case Kind::Dict:
      return "a dict";
    }
    return "?";
  }
  void require(Kind k, const char *what) const {
    if (kind_ != k)
      throw Error(ErrorCode::InvalidArgument,
                  std::string("parameter tree node is ") + kind_name(kind_) + ", not " + what);
  }
  void become(Kind k, const char *what) {
    if (kind_ == Kind::Empty)
      kind_ = k;
    require(k, what);
  }

  Kind kind_ = Kind::Empty;
  std::optional<Leaf> leaf_;
  std::vector<BasicTree> items_;
  std::vector<std::pair<std::string, BasicTree>> entries_;
  std::unordered_map<std::string, size_t> index_; // key -> position in entries_
};

// A tree of views, as a host builds it to save (like MLX's parameters()).
using ParamTree = BasicTree<TensorView>;
// A tree of owning tensors, as unflatten(Weights) returns it.
using WeightTree = BasicTree<Tensor>;

// Flattens to "a.b.0.c" keys in tree order. Empty dicts and lists vanish (as
// in MLX). Throws Error(InvalidArgument) naming both paths when two leaves
// flatten to the same key (a key "a.b" beside a nested a -> b).
FlatParams flatten(const ParamTree &tree);

// Rebuilds the nesting. Throws Error(InvalidArgument) naming both keys when a
// name is both a leaf and a prefix ("a" and "a.b"), and naming the key when a
// name nests deeper than kMaxTreeDepth levels or a list index would need
// more than kMaxListGap empty dicts before it (names from a file are not
// trusted to be sane: "a.999999999" would otherwise allocate a billion).
inline constexpr size_t kMaxTreeDepth = 1024;
inline constexpr size_t kMaxListGap = 1 << 16;
ParamTree unflatten(const FlatParams &flat);
WeightTree unflatten(const Weights &weights);

} // namespace weightio
