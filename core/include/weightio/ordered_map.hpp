// An insertion-ordered string -> value map that refuses duplicate names.
#pragma once

#include <weightio/error.hpp>
#include <weightio/name_index.hpp>

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <utility>

namespace weightio {

template <class V> class OrderedMap {
public:
  // Keys are const: renaming through an iterator would break the index.
  using value_type = std::pair<const std::string, V>;
  // Random access, like a vector's. A deque: it grows without moving what it
  // holds, so a load of a million tensors never has two copies of its table
  // (a vector's doubling peaked at 3x the table); references stay valid.
  using const_iterator = typename std::deque<value_type>::const_iterator;
  using iterator = typename std::deque<value_type>::iterator;

  // Appends; throws Error(InvalidArgument) naming `name` if it is present.
  V &emplace(std::string name, V value) {
    if (index_.find(name, name_at()) != detail::NameIndex::npos)
      throw Error(ErrorCode::InvalidArgument, "duplicate tensor name '" + name + "'", {}, name);
    index_.reserve(items_.size() + 1, name_at());
    items_.emplace_back(std::move(name), std::move(value));
    index_.insert(items_.back().first, items_.size() - 1);
    return items_.back().second;
  }
  // Throws Error(InvalidArgument) naming `name` when absent.
  const V &at(std::string_view name) const {
    if (auto *v = find(name))
      return *v;
    throw Error(ErrorCode::InvalidArgument, "no tensor named '" + std::string(name) + "'", {},
                std::string(name));
  }
  V &at(std::string_view name) {
    return const_cast<V &>(static_cast<const OrderedMap &>(*this).at(name));
  }
  // nullptr when absent.
  const V *find(std::string_view name) const {
    const size_t i = index_.find(name, name_at());
    return i == detail::NameIndex::npos ? nullptr : &items_[i].second;
  }
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  // Room for `n` names in the index (the items need none).
  void reserve(size_t n) { index_.reserve(n, name_at()); }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }
  iterator begin() noexcept { return items_.begin(); }
  iterator end() noexcept { return items_.end(); }

private:
  auto name_at() const {
    return [this](size_t i) -> std::string_view { return items_[i].first; };
  }
  std::deque<value_type> items_;
  detail::NameIndex index_; // positions in items_, by name
};

} // namespace weightio
