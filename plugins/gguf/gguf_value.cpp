#include "gguf_value.hpp"

#include <weightio/byte_io.hpp>

#include <array>
#include <bit>
#include <stdexcept>

namespace weightio::gguf {

namespace {

constexpr std::array<std::string_view, 13> kNames{"UINT8",  "INT8",    "UINT16", "INT16",  "UINT32",
                                                  "INT32",  "FLOAT32", "BOOL",   "STRING", "ARRAY",
                                                  "UINT64", "INT64",   "FLOAT64"};

uint64_t load_le(const uint8_t *p, uint32_t width) noexcept {
  switch (width) {
  case 1:
    return *p;
  case 2:
    return sdk::load_le<uint16_t>(p);
  case 4:
    return sdk::load_le<uint32_t>(p);
  default:
    return sdk::load_le<uint64_t>(p);
  }
}

} // namespace

std::optional<std::string_view> value_type_name(uint32_t id) noexcept {
  if (id >= kNames.size())
    return std::nullopt;
  return kNames[id];
}

uint32_t fixed_width(ValueType t) noexcept {
  switch (t) {
  case ValueType::UINT8:
  case ValueType::INT8:
  case ValueType::BOOL:
    return 1;
  case ValueType::UINT16:
  case ValueType::INT16:
    return 2;
  case ValueType::UINT32:
  case ValueType::INT32:
  case ValueType::FLOAT32:
    return 4;
  case ValueType::UINT64:
  case ValueType::INT64:
  case ValueType::FLOAT64:
    return 8;
  default:
    return 0;
  }
}

Value Value::f32(float v) {
  return scalar(ValueType::FLOAT32, std::bit_cast<uint32_t>(v));
}
Value Value::f64(double v) {
  return scalar(ValueType::FLOAT64, std::bit_cast<uint64_t>(v));
}

Value Value::string(std::string s) {
  Value v;
  v.type = ValueType::STRING;
  v.str = std::move(s);
  return v;
}

Value Value::packed_array(ValueType item, std::vector<uint8_t> packed) {
  const uint32_t w = fixed_width(item);
  if (w == 0 || packed.size() % w != 0)
    throw std::invalid_argument("packed_array: item type must be fixed-width and the bytes a "
                                "whole number of items");
  Value v;
  v.type = ValueType::ARRAY;
  v.item_type = item;
  v.packed = std::move(packed);
  return v;
}

Value Value::string_array(std::vector<std::string> items) {
  Value v;
  v.type = ValueType::ARRAY;
  v.item_type = ValueType::STRING;
  v.strings = std::move(items);
  return v;
}

Value Value::array_array(std::vector<Value> items) {
  for (const auto &a : items)
    if (a.type != ValueType::ARRAY)
      throw std::invalid_argument("array_array: every item must be an ARRAY");
  Value v;
  v.type = ValueType::ARRAY;
  v.item_type = ValueType::ARRAY;
  v.arrays = std::move(items);
  return v;
}

int64_t Value::as_i64() const noexcept {
  const uint32_t w = fixed_width(type);
  if (w == 0 || w == 8)
    return static_cast<int64_t>(bits);
  const unsigned shift = 64 - 8 * w;
  return static_cast<int64_t>(bits << shift) >> shift;
}

double Value::as_f64() const noexcept {
  if (type == ValueType::FLOAT32)
    return std::bit_cast<float>(static_cast<uint32_t>(bits));
  if (type == ValueType::FLOAT64)
    return std::bit_cast<double>(bits);
  return is_signed(type) ? static_cast<double>(as_i64()) : static_cast<double>(bits);
}

uint64_t Value::size() const noexcept {
  if (type != ValueType::ARRAY)
    return 0;
  if (item_type == ValueType::STRING)
    return strings.size();
  if (item_type == ValueType::ARRAY)
    return arrays.size();
  const uint32_t w = fixed_width(item_type);
  return w == 0 ? 0 : packed.size() / w;
}

uint64_t Value::item_bits(uint64_t i) const noexcept {
  const uint32_t w = fixed_width(item_type);
  return load_le(packed.data() + i * w, w);
}

Value Value::item(uint64_t i) const {
  if (type != ValueType::ARRAY || i >= size())
    throw std::out_of_range("Value::item: no item " + std::to_string(i));
  if (item_type == ValueType::STRING)
    return string(strings[i]);
  if (item_type == ValueType::ARRAY)
    return arrays[i];
  return scalar(item_type, item_bits(i));
}

const Value *find(const Metadata &metadata, std::string_view key) noexcept {
  for (const auto &kv : metadata)
    if (kv.key == key)
      return &kv.value;
  return nullptr;
}

} // namespace weightio::gguf
