// Typed metadata: an insertion-ordered map of key -> Value, where a Value is
// a string, a bool, an integer or float of a stated width, or an array of
// one item type (arrays may nest). Widths and signedness are kept as a file
// stored them, so a GGUF -> GGUF round trip is exact.
#pragma once

#include <weightio/name_index.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace weightio {

// Values equal the plugin ABI's wio_value_type.
enum class ValueType : int32_t {
  String = 0,
  Bool,
  U8,
  I8,
  U16,
  I16,
  U32,
  I32,
  U64,
  I64,
  F32,
  F64,
  Array,
};

// "STRING", "BOOL", "UINT8", "INT8", ... "FLOAT32", "FLOAT64", "ARRAY": GGUF's
// spelling, which inspect, its JSON and the conformance vectors use.
std::string_view value_type_name(ValueType t) noexcept;
bool value_type_is_integer(ValueType t) noexcept;
bool value_type_is_signed(ValueType t) noexcept;

class Value {
public:
  // An empty string.
  Value() = default;
  Value(std::string s) : type_(ValueType::String), data_(std::move(s)) {}
  Value(const char *s) : Value(std::string(s)) {}
  Value(std::string_view s) : Value(std::string(s)) {}
  Value(bool b) : type_(ValueType::Bool), data_(uint64_t{b}) {}
  // An integer of `type` (U8..I64). Throws Error(InvalidArgument) when the
  // value does not fit the type.
  static Value integer(ValueType type, int64_t v);
  static Value unsigned_integer(ValueType type, uint64_t v);
  static Value f32(float v);
  static Value f64(double v);
  // An array whose items all have type `item_type` (checked: throws
  // Error(InvalidArgument)).
  static Value array(ValueType item_type, std::vector<Value> items);

  ValueType type() const noexcept { return type_; }
  // The items' type of an array (String for an empty array made so).
  ValueType item_type() const noexcept { return item_type_; }
  bool is_string() const noexcept { return type_ == ValueType::String; }

  // Typed access; each throws Error(InvalidArgument) for another type.
  const std::string &as_string() const;
  bool as_bool() const;
  int64_t as_int() const;   // I8..I64, and unsigned ones that fit
  uint64_t as_uint() const; // U8..U64, and signed ones >= 0
  double as_double() const; // F32, F64 (and integers, converted)
  float as_f32() const;     // F32 exactly
  const std::vector<Value> &items() const;

  // The raw bits of a scalar number or bool, zero-extended.
  uint64_t bits() const noexcept;

  // Equal type, item type and value (floats compared by bits).
  bool operator==(const Value &o) const;

  // Nesting depth: 0 for a scalar, 1 for an array of scalars.
  uint32_t depth() const;
  // Bytes of its payload (a string's, an array's items'), for limits.
  uint64_t payload_bytes() const;

private:
  ValueType type_ = ValueType::String;
  ValueType item_type_ = ValueType::String;
  // uint64_t: bool, integers (signed stored as two's complement), and the
  // bits of floats; std::string; the items of an array.
  std::variant<std::string, uint64_t, std::vector<Value>> data_;
};

// Key -> Value in insertion order. `m["k"] = "v"` appends or replaces, as
// std::map's operator[] does; keys are unique.
class Metadata {
public:
  using value_type = std::pair<std::string, Value>;
  using const_iterator = std::vector<value_type>::const_iterator;

  Metadata() = default;
  Metadata(std::initializer_list<value_type> entries);

  Value &operator[](const std::string &key);
  // Appends; throws Error(InvalidArgument) naming the key if it is present.
  void emplace(std::string key, Value value);
  // Replaces or appends.
  void set(std::string key, Value value);
  const Value *find(std::string_view key) const;
  // Throws Error(InvalidArgument) when absent.
  const Value &at(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  size_t count(std::string_view key) const { return contains(key) ? 1 : 0; }
  bool erase(std::string_view key);
  size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  void clear() noexcept;
  void reserve(size_t n);
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }
  // The same keys with equal values, in any order (as Python's dicts
  // compare); compare the iteration order yourself where it matters.
  bool operator==(const Metadata &o) const;

private:
  auto name_at() const {
    return [this](size_t i) -> std::string_view { return items_[i].first; };
  }
  std::vector<value_type> items_;
  detail::NameIndex index_; // positions in items_, by key
};

} // namespace weightio
