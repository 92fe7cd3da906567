// The lookup table behind OrderedMap and Metadata: positions in their vector
// of (name, value) pairs, found by name. An open-addressing table (linear
// probing, at most half full) of 8-byte slots holding a position and 24 bits
// of the name's hash: 16-32 bytes per name, and each name is kept once (in
// the vector), where a std::unordered_map<std::string, size_t> took a node
// of ~70 bytes and a second copy of the name, which for a million tensors
// was more than the rest of the load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace weightio::detail {

class NameIndex {
public:
  static constexpr size_t npos = static_cast<size_t>(-1);

  // The position whose name (name_at(position)) equals `name`, or npos.
  template <class NameAt> size_t find(std::string_view name, const NameAt &name_at) const {
    if (slots_.empty())
      return npos;
    const uint64_t h = hash(name);
    const size_t mask = slots_.size() - 1;
    for (size_t s = h & mask;; s = (s + 1) & mask) {
      const uint64_t v = slots_[s];
      if (v == 0)
        return npos;
      // The tag spares reading the name (a cache miss) on most mismatches.
      if ((v >> kPosBits) == tag(h) && name_at(position(v)) == name)
        return position(v);
    }
  }

  // Makes room for `n` names in all, so that the next inserts up to n do
  // not allocate (and cannot throw). name_at must give every position held.
  // Throws std::bad_alloc, leaving the index as it was.
  template <class NameAt> void reserve(size_t n, const NameAt &name_at) {
    if (2 * n <= slots_.size())
      return;
    size_t cap = 16;
    while (cap < 2 * n)
      cap *= 2;
    std::vector<uint64_t> fresh(cap, 0);
    for (const uint64_t v : slots_)
      if (v != 0)
        place(fresh, hash(name_at(position(v))), v);
    slots_.swap(fresh);
  }

  // Adds `position` (below 2^40), whose name `name` is not held yet. Call
  // reserve(count() + 1) first: insert itself never allocates.
  void insert(std::string_view name, size_t position) noexcept {
    const uint64_t h = hash(name);
    place(slots_, h, (tag(h) << kPosBits) | (uint64_t{position} + 1));
    ++count_;
  }

  size_t count() const noexcept { return count_; }
  void clear() noexcept {
    slots_.clear();
    count_ = 0;
  }

private:
  // A slot: 0 = empty, else (tag << kPosBits) | (position + 1).
  static constexpr int kPosBits = 40;
  static uint64_t hash(std::string_view name) noexcept {
    return std::hash<std::string_view>{}(name);
  }
  static uint64_t tag(uint64_t h) noexcept { return h >> kPosBits; }
  static size_t position(uint64_t v) noexcept {
    return static_cast<size_t>((v & ((uint64_t{1} << kPosBits) - 1)) - 1);
  }
  static void place(std::vector<uint64_t> &slots, uint64_t h, uint64_t value) noexcept {
    const size_t mask = slots.size() - 1;
    size_t s = static_cast<size_t>(h) & mask;
    while (slots[s] != 0)
      s = (s + 1) & mask;
    slots[s] = value;
  }

  std::vector<uint64_t> slots_;
  size_t count_ = 0;
};

} // namespace weightio::detail
