// An insertion-ordered string -> value map that refuses duplicate names.
#pragma once

#include <weightio/error.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace weightio {

template <class V> class OrderedMap {
public:
  // Keys are const: renaming through an iterator would break the index.
  using value_type = std::pair<const std::string, V>;
  using const_iterator = typename std::vector<value_type>::const_iterator;
  using iterator = typename std::vector<value_type>::iterator;

  // Appends; throws Error(InvalidArgument) naming `name` if it is present.
  V &emplace(std::string name, V value) {
    auto [it, inserted] = index_.try_emplace(name, items_.size());
    if (!inserted)
      throw Error(ErrorCode::InvalidArgument, "duplicate tensor name '" + name + "'", {}, name);
    try {
      items_.emplace_back(std::move(name), std::move(value));
    } catch (...) {
      index_.erase(it);
      throw;
    }
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
    auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &items_[it->second].second;
  }
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  void reserve(size_t n) {
    items_.reserve(n);
    index_.reserve(n);
  }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }
  iterator begin() noexcept { return items_.begin(); }
  iterator end() noexcept { return items_.end(); }

private:
  std::vector<value_type> items_;
  std::unordered_map<std::string, size_t> index_;
};

} // namespace weightio
