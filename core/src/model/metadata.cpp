#include <weightio/error.hpp>
#include <weightio/metadata.hpp>
#include <weightio/quoted.hpp>

#include <cstring>
#include <limits>

namespace weightio {

namespace {

[[noreturn]] void wrong_type(ValueType have, const char *want) {
  throw Error(ErrorCode::InvalidArgument,
              "metadata value is " + std::string(value_type_name(have)) + ", not " + want);
}

struct Range {
  int64_t min;
  uint64_t max;
};

Range range_of(ValueType t) {
  switch (t) {
  case ValueType::U8:
    return {0, UINT8_MAX};
  case ValueType::I8:
    return {INT8_MIN, INT8_MAX};
  case ValueType::U16:
    return {0, UINT16_MAX};
  case ValueType::I16:
    return {INT16_MIN, INT16_MAX};
  case ValueType::U32:
    return {0, UINT32_MAX};
  case ValueType::I32:
    return {INT32_MIN, INT32_MAX};
  case ValueType::U64:
    return {0, UINT64_MAX};
  case ValueType::I64:
    return {INT64_MIN, INT64_MAX};
  default:
    throw Error(ErrorCode::InvalidArgument,
                std::string(value_type_name(t)) + " is not an integer type");
  }
}

// Bytes of one packed item of a scalar type (bool as one byte).
uint64_t item_width(ValueType t) {
  switch (t) {
  case ValueType::Bool:
  case ValueType::U8:
  case ValueType::I8:
    return 1;
  case ValueType::U16:
  case ValueType::I16:
    return 2;
  case ValueType::U32:
  case ValueType::I32:
  case ValueType::F32:
    return 4;
  default:
    return 8;
  }
}

} // namespace

std::string_view value_type_name(ValueType t) noexcept {
  static constexpr std::string_view names[] = {"STRING",  "BOOL",    "UINT8", "INT8",   "UINT16",
                                               "INT16",   "UINT32",  "INT32", "UINT64", "INT64",
                                               "FLOAT32", "FLOAT64", "ARRAY"};
  const auto i = static_cast<size_t>(t);
  return i < std::size(names) ? names[i] : std::string_view("invalid");
}

bool value_type_is_integer(ValueType t) noexcept {
  return t >= ValueType::U8 && t <= ValueType::I64;
}

bool value_type_is_signed(ValueType t) noexcept {
  return t == ValueType::I8 || t == ValueType::I16 || t == ValueType::I32 || t == ValueType::I64;
}

Value Value::integer(ValueType type, int64_t v) {
  const Range r = range_of(type);
  if (v < r.min || (v > 0 && static_cast<uint64_t>(v) > r.max))
    throw Error(ErrorCode::InvalidArgument,
                std::to_string(v) + " does not fit a " + std::string(value_type_name(type)));
  Value out;
  out.type_ = type;
  out.data_ = static_cast<uint64_t>(v);
  return out;
}

Value Value::unsigned_integer(ValueType type, uint64_t v) {
  const Range r = range_of(type);
  if (v > r.max)
    throw Error(ErrorCode::InvalidArgument,
                std::to_string(v) + " does not fit a " + std::string(value_type_name(type)));
  Value out;
  out.type_ = type;
  out.data_ = v;
  return out;
}

Value Value::f32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  Value out;
  out.type_ = ValueType::F32;
  out.data_ = uint64_t{bits};
  return out;
}

Value Value::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  Value out;
  out.type_ = ValueType::F64;
  out.data_ = bits;
  return out;
}

Value Value::array(ValueType item_type, std::vector<Value> items) {
  if (static_cast<int32_t>(item_type) < 0 || item_type > ValueType::Array)
    throw Error(ErrorCode::InvalidArgument, "invalid array item type");
  for (const auto &v : items)
    if (v.type() != item_type)
      throw Error(ErrorCode::InvalidArgument,
                  "an array of " + std::string(value_type_name(item_type)) + " holds a " +
                      std::string(value_type_name(v.type())));
  Value out;
  out.type_ = ValueType::Array;
  out.item_type_ = item_type;
  out.data_ = std::move(items);
  return out;
}

const std::string &Value::as_string() const {
  if (type_ != ValueType::String)
    wrong_type(type_, "a string");
  return std::get<std::string>(data_);
}

bool Value::as_bool() const {
  if (type_ != ValueType::Bool)
    wrong_type(type_, "a bool");
  return std::get<uint64_t>(data_) != 0;
}

int64_t Value::as_int() const {
  if (!value_type_is_integer(type_))
    wrong_type(type_, "an integer");
  const uint64_t raw = std::get<uint64_t>(data_);
  if (!value_type_is_signed(type_) && raw > static_cast<uint64_t>(INT64_MAX))
    throw Error(ErrorCode::InvalidArgument, std::to_string(raw) + " does not fit an int64");
  return static_cast<int64_t>(raw);
}

uint64_t Value::as_uint() const {
  if (!value_type_is_integer(type_))
    wrong_type(type_, "an integer");
  const uint64_t raw = std::get<uint64_t>(data_);
  if (value_type_is_signed(type_) && static_cast<int64_t>(raw) < 0)
    throw Error(ErrorCode::InvalidArgument,
                std::to_string(static_cast<int64_t>(raw)) + " is negative");
  return raw;
}

double Value::as_double() const {
  if (type_ == ValueType::F32)
    return as_f32();
  if (type_ == ValueType::F64) {
    double d;
    const uint64_t raw = std::get<uint64_t>(data_);
    std::memcpy(&d, &raw, 8);
    return d;
  }
  if (value_type_is_integer(type_))
    return value_type_is_signed(type_) ? static_cast<double>(as_int())
                                       : static_cast<double>(as_uint());
  wrong_type(type_, "a number");
}

float Value::as_f32() const {
  if (type_ != ValueType::F32)
    wrong_type(type_, "an f32");
  const auto raw = static_cast<uint32_t>(std::get<uint64_t>(data_));
  float f;
  std::memcpy(&f, &raw, 4);
  return f;
}

const std::vector<Value> &Value::items() const {
  if (type_ != ValueType::Array)
    wrong_type(type_, "an array");
  return std::get<std::vector<Value>>(data_);
}

uint64_t Value::bits() const noexcept {
  const auto *u = std::get_if<uint64_t>(&data_);
  return u ? *u : 0;
}

bool Value::operator==(const Value &o) const {
  return type_ == o.type_ && (type_ != ValueType::Array || item_type_ == o.item_type_) &&
         data_ == o.data_;
}

uint32_t Value::depth() const {
  if (type_ != ValueType::Array)
    return 0;
  uint32_t d = 0;
  for (const auto &v : items())
    d = std::max(d, v.depth());
  return d + 1;
}

uint64_t Value::payload_bytes() const {
  if (type_ == ValueType::String)
    return std::get<std::string>(data_).size();
  if (type_ != ValueType::Array)
    return item_width(type_);
  uint64_t n = 0;
  for (const auto &v : items())
    n += v.payload_bytes();
  return n;
}

Metadata::Metadata(std::initializer_list<value_type> entries) {
  for (const auto &e : entries)
    set(e.first, e.second);
}

Value &Metadata::operator[](const std::string &key) {
  const size_t i = index_.find(key, name_at());
  if (i != detail::NameIndex::npos)
    return items_[i].second;
  index_.reserve(items_.size() + 1, name_at());
  items_.emplace_back(key, Value{});
  index_.insert(items_.back().first, items_.size() - 1);
  return items_.back().second;
}

void Metadata::emplace(std::string key, Value value) {
  if (index_.find(key, name_at()) != detail::NameIndex::npos)
    throw Error(ErrorCode::InvalidArgument, "duplicate metadata key " + sdk::quoted(key));
  index_.reserve(items_.size() + 1, name_at());
  items_.emplace_back(std::move(key), std::move(value));
  index_.insert(items_.back().first, items_.size() - 1);
}

void Metadata::set(std::string key, Value value) {
  (*this)[key] = std::move(value);
}

const Value *Metadata::find(std::string_view key) const {
  const size_t i = index_.find(key, name_at());
  return i == detail::NameIndex::npos ? nullptr : &items_[i].second;
}

const Value &Metadata::at(std::string_view key) const {
  if (const Value *v = find(key))
    return *v;
  throw Error(ErrorCode::InvalidArgument, "no metadata key " + sdk::quoted(key));
}

bool Metadata::erase(std::string_view key) {
  const size_t gone = index_.find(key, name_at());
  if (gone == detail::NameIndex::npos)
    return false;
  // The new index first: if it cannot be built, nothing has changed.
  detail::NameIndex fresh;
  fresh.reserve(items_.size() - 1, name_at());
  for (size_t i = 0; i < items_.size(); ++i)
    if (i != gone)
      fresh.insert(items_[i].first, i < gone ? i : i - 1);
  items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(gone));
  index_ = std::move(fresh);
  return true;
}

bool Metadata::operator==(const Metadata &o) const {
  if (size() != o.size())
    return false;
  for (const auto &[k, v] : items_) {
    const Value *w = o.find(k);
    if (w == nullptr || !(*w == v))
      return false;
  }
  return true;
}

void Metadata::clear() noexcept {
  items_.clear();
  index_.clear();
}

void Metadata::reserve(size_t n) {
  items_.reserve(n);
  index_.reserve(n, name_at());
}

} // namespace weightio
