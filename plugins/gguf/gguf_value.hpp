// A GGUF metadata value as the file stores it: its value type (and, for
// arrays, the item type) kept exactly, so that a value read and written back
// has the same bytes. Arrays of fixed-width items keep their items as packed
// little-endian bytes (as many bytes in memory as in the file, whatever the
// count); arrays of strings and nested arrays keep one element per item.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weightio::gguf {

// GGUF's value type ids (ggml docs/gguf.md, gguf_type).
enum class ValueType : uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};

// The name gguf-py gives a value type ("UINT8" ... "FLOAT64"), or nullopt for
// an undefined id.
std::optional<std::string_view> value_type_name(uint32_t id) noexcept;
// Bytes one item of a fixed-width type takes (BOOL: 1), 0 for STRING and ARRAY.
uint32_t fixed_width(ValueType t) noexcept;
inline bool is_integer(ValueType t) noexcept {
  return t <= ValueType::INT32 || t == ValueType::UINT64 || t == ValueType::INT64;
}
inline bool is_signed(ValueType t) noexcept {
  return t == ValueType::INT8 || t == ValueType::INT16 || t == ValueType::INT32 ||
         t == ValueType::INT64;
}

struct Value {
  ValueType type = ValueType::UINT8;
  // Scalars of fixed width: the stored bits, zero-extended (INT8 -1 is 0xFF;
  // FLOAT32 is its IEEE bits; BOOL is 0 or 1).
  uint64_t bits = 0;
  std::string str; // STRING
  // ARRAY
  ValueType item_type = ValueType::UINT8;
  std::vector<uint8_t> packed;      // fixed-width items, little-endian, back to back
  std::vector<std::string> strings; // STRING items
  std::vector<Value> arrays;        // ARRAY items

  // Constructors for each kind (the value is stored with exactly that type).
  static Value u8(uint8_t v) { return scalar(ValueType::UINT8, v); }
  static Value i8(int8_t v) { return scalar(ValueType::INT8, static_cast<uint8_t>(v)); }
  static Value u16(uint16_t v) { return scalar(ValueType::UINT16, v); }
  static Value i16(int16_t v) { return scalar(ValueType::INT16, static_cast<uint16_t>(v)); }
  static Value u32(uint32_t v) { return scalar(ValueType::UINT32, v); }
  static Value i32(int32_t v) { return scalar(ValueType::INT32, static_cast<uint32_t>(v)); }
  static Value u64(uint64_t v) { return scalar(ValueType::UINT64, v); }
  static Value i64(int64_t v) { return scalar(ValueType::INT64, static_cast<uint64_t>(v)); }
  static Value f32(float v);
  static Value f64(double v);
  static Value boolean(bool v) { return scalar(ValueType::BOOL, v ? 1 : 0); }
  static Value string(std::string v);
  // An array of fixed-width items given as their little-endian bytes
  // (packed.size() must be a multiple of fixed_width(item)).
  static Value packed_array(ValueType item, std::vector<uint8_t> packed);
  static Value string_array(std::vector<std::string> items);
  static Value array_array(std::vector<Value> items); // each an ARRAY

  // Scalar accessors: the stored bits read as the value's own type.
  uint64_t as_u64() const noexcept { return bits; }
  int64_t as_i64() const noexcept; // sign-extended from the stored width
  double as_f64() const noexcept;  // FLOAT32 widened
  bool as_bool() const noexcept { return bits != 0; }

  // ARRAY: number of items, and item i of a fixed-width array.
  uint64_t size() const noexcept;
  uint64_t item_bits(uint64_t i) const noexcept; // zero-extended, like `bits`
  Value item(uint64_t i) const;                  // any item as a Value

  friend bool operator==(const Value &, const Value &) = default;

private:
  static Value scalar(ValueType t, uint64_t bits) {
    Value v;
    v.type = t;
    v.bits = bits;
    return v;
  }
};

struct KeyValue {
  std::string key;
  Value value;
  friend bool operator==(const KeyValue &, const KeyValue &) = default;
};

using Metadata = std::vector<KeyValue>; // file order

// The value stored under `key`, or nullptr.
const Value *find(const Metadata &metadata, std::string_view key) noexcept;

} // namespace weightio::gguf
