// Typed metadata for plugin authors (C++17 or later), both ways:
// - reading: wio_values made from C++ values (make_value(uint32_t{32}) is a
//   U32, make_value("text") a STRING), so a reader emits an entry in one
//   call, ReadContext::value(key, v);
// - writing: MetadataView, the one list of a save's entries, each with its
//   type, that a writer iterates instead of the request's two arrays;
// - both: a scalar's bits (value_bits / value_from_bits) at its own width
//   (value_item_bytes), for a format that stores values as binary fields.
// Nothing here allocates: strings and arrays borrow what they were made of.
#ifndef WEIGHTIO_PLUGIN_VALUES_HPP
#define WEIGHTIO_PLUGIN_VALUES_HPP

#include <weightio/plugin_abi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string_view>
#include <type_traits>

namespace weightio::sdk {

// The value type of a C++ type: bool, any integer (by its width and
// signedness), float, double; wio_str (STRING) and wio_value (ARRAY) as
// array items. -1 for any other type.
template <class T> constexpr int32_t value_type_of() {
  using U = std::remove_cv_t<T>;
  if constexpr (std::is_same_v<U, bool>) {
    return WIO_VALUE_BOOL;
  } else if constexpr (std::is_integral_v<U> && sizeof(U) <= 8) {
    constexpr bool s = std::is_signed_v<U>;
    constexpr size_t n = sizeof(U);
    return n == 1   ? (s ? WIO_VALUE_I8 : WIO_VALUE_U8)
           : n == 2 ? (s ? WIO_VALUE_I16 : WIO_VALUE_U16)
           : n == 4 ? (s ? WIO_VALUE_I32 : WIO_VALUE_U32)
                    : (s ? WIO_VALUE_I64 : WIO_VALUE_U64);
  } else if constexpr (std::is_same_v<U, float>) {
    return WIO_VALUE_F32;
  } else if constexpr (std::is_same_v<U, double>) {
    return WIO_VALUE_F64;
  } else if constexpr (std::is_same_v<U, wio_str>) {
    return WIO_VALUE_STRING;
  } else if constexpr (std::is_same_v<U, wio_value>) {
    return WIO_VALUE_ARRAY;
  } else {
    return -1;
  }
}

// Bytes one item of an array of `type` takes (numbers at their width, BOOL
// one byte, STRING a wio_str, ARRAY a wio_value); also a scalar's width in
// a binary field. 0 for an unknown type.
constexpr size_t value_item_bytes(int32_t type) noexcept {
  switch (type) {
  case WIO_VALUE_BOOL:
  case WIO_VALUE_U8:
  case WIO_VALUE_I8:
    return 1;
  case WIO_VALUE_U16:
  case WIO_VALUE_I16:
    return 2;
  case WIO_VALUE_U32:
  case WIO_VALUE_I32:
  case WIO_VALUE_F32:
    return 4;
  case WIO_VALUE_U64:
  case WIO_VALUE_I64:
  case WIO_VALUE_F64:
    return 8;
  case WIO_VALUE_STRING:
    return sizeof(wio_str);
  case WIO_VALUE_ARRAY:
    return sizeof(wio_value);
  default:
    return 0;
  }
}

constexpr bool is_signed_value(int32_t type) noexcept {
  return type == WIO_VALUE_I8 || type == WIO_VALUE_I16 || type == WIO_VALUE_I32 ||
         type == WIO_VALUE_I64;
}

// A scalar (BOOL, integer, F32, F64) as the low value_item_bytes(type)
// bytes of a uint64_t: an integer's two's complement, a float's IEEE bits.
// Write them in the format's byte order; value_from_bits undoes it.
inline uint64_t value_bits(const wio_value &v) noexcept {
  if (v.type == WIO_VALUE_F32) {
    uint32_t b;
    std::memcpy(&b, &v.as.f32, 4);
    return b;
  }
  if (v.type == WIO_VALUE_F64) {
    uint64_t b;
    std::memcpy(&b, &v.as.f64, 8);
    return b;
  }
  const size_t n = value_item_bytes(v.type);
  const uint64_t bits = is_signed_value(v.type) ? static_cast<uint64_t>(v.as.i) : v.as.u;
  return n >= 8 ? bits : bits & ((uint64_t{1} << (8 * n)) - 1);
}

// The scalar of `type` whose bits (as value_bits gives them) are `bits`;
// higher bits are ignored, a BOOL is true for any non-zero bits.
inline wio_value value_from_bits(int32_t type, uint64_t bits) noexcept {
  wio_value v{};
  v.type = type;
  const size_t n = value_item_bytes(type);
  if (n < 8)
    bits &= (uint64_t{1} << (8 * n)) - 1;
  if (type == WIO_VALUE_F32) {
    const auto b = static_cast<uint32_t>(bits);
    std::memcpy(&v.as.f32, &b, 4);
  } else if (type == WIO_VALUE_F64) {
    std::memcpy(&v.as.f64, &bits, 8);
  } else if (type == WIO_VALUE_BOOL) {
    v.as.u = bits != 0;
  } else if (is_signed_value(type) && n < 8 && (bits >> (8 * n - 1)) != 0) {
    v.as.i = static_cast<int64_t>(bits | ~((uint64_t{1} << (8 * n)) - 1)); // sign-extended
  } else if (is_signed_value(type)) {
    v.as.i = static_cast<int64_t>(bits);
  } else {
    v.as.u = bits;
  }
  return v;
}

// A scalar of T's exact type: make_value(uint16_t{7}) is a U16,
// make_value(true) a BOOL, make_value(1.5f) an F32.
template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
wio_value make_value(T x) noexcept {
  static_assert(value_type_of<T>() >= 0, "no metadata value type holds this C++ type");
  wio_value v{};
  v.type = value_type_of<T>();
  if constexpr (std::is_same_v<T, float>)
    v.as.f32 = x;
  else if constexpr (std::is_same_v<T, double>)
    v.as.f64 = x;
  else if constexpr (std::is_same_v<T, bool>)
    v.as.u = x ? 1 : 0;
  else if constexpr (std::is_signed_v<T>)
    v.as.i = x;
  else
    v.as.u = x;
  return v;
}

// A STRING borrowing `s`.
inline wio_value make_value(std::string_view s) noexcept {
  wio_value v{};
  v.type = WIO_VALUE_STRING;
  v.as.str = {s.data(), s.size()};
  return v;
}
inline wio_value make_value(const char *s) noexcept {
  return make_value(std::string_view(s));
}

// An ARRAY of `count` items laid out as the ABI says (see value_item_bytes),
// borrowing them.
inline wio_value make_array(int32_t item_type, const void *items, uint64_t count) noexcept {
  wio_value v{};
  v.type = WIO_VALUE_ARRAY;
  v.item_type = item_type;
  v.count = count;
  v.as.items = items;
  return v;
}
template <class T> wio_value make_array(const T *items, uint64_t count) noexcept {
  static_assert(value_type_of<T>() >= 0, "no metadata value type holds this C++ type");
  static_assert(sizeof(T) == value_item_bytes(value_type_of<T>()), "items are not packed");
  return make_array(value_type_of<T>(), items, count);
}

// One entry of a save's metadata.
struct MetadataEntry {
  std::string_view key;
  wio_value value;
};

// The metadata a writer is given, every entry with its type, in the
// caller's order. The request carries string values twice (as `values` and,
// for ABI-1 writers, as `metadata`): this reads `values`, and the strings
// only from a request without typed values, so a writer handles one list.
class MetadataView {
public:
  explicit MetadataView(const wio_write_request &r) noexcept {
    if (WIO_HAS_FIELD(&r, wio_write_request, value_count) &&
        (r.values != nullptr || r.metadata_count == 0)) {
      values_ = r.values;
      count_ = r.values != nullptr ? r.value_count : 0;
    } else {
      strings_ = r.metadata;
      count_ = r.metadata != nullptr ? r.metadata_count : 0;
    }
  }
  size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  // False when the entries came from the string array (every one a STRING).
  bool typed() const noexcept { return strings_ == nullptr; }
  MetadataEntry operator[](size_t i) const noexcept {
    if (values_ != nullptr)
      return {{values_[i].key.data, values_[i].key.size}, values_[i].value};
    return {{strings_[i].key.data, strings_[i].key.size},
            make_value(std::string_view(strings_[i].value.data, strings_[i].value.size))};
  }

  class iterator {
  public:
    using iterator_category = std::input_iterator_tag;
    using value_type = MetadataEntry;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = MetadataEntry;
    iterator(const MetadataView *view, size_t i) noexcept : view_(view), i_(i) {}
    MetadataEntry operator*() const noexcept { return (*view_)[i_]; }
    iterator &operator++() noexcept {
      ++i_;
      return *this;
    }
    bool operator==(const iterator &o) const noexcept { return i_ == o.i_; }
    bool operator!=(const iterator &o) const noexcept { return i_ != o.i_; }

  private:
    const MetadataView *view_;
    size_t i_;
  };
  iterator begin() const noexcept { return {this, 0}; }
  iterator end() const noexcept { return {this, count_}; }

private:
  const wio_metadata *values_ = nullptr;
  const wio_kv *strings_ = nullptr;
  size_t count_ = 0;
};

} // namespace weightio::sdk

#endif
