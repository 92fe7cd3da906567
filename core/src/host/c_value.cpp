#include "host/c_value.hpp"

#include "support/limit_text.hpp"

#include <weightio/plugin_values.hpp>
#include <weightio/quoted.hpp>

#include <weightio/registry.hpp>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace weightio::detail {

namespace {

// The width of a number, as the SDK gives plugins (numbers only reach it).
uint64_t width_of(int32_t t) {
  return sdk::value_item_bytes(t);
}

// A scalar from its raw bits (zero-extended for unsigned, sign-extended for
// signed), checked like any other plugin output.
Value scalar(int32_t type, uint64_t raw) {
  const auto t = static_cast<ValueType>(type);
  switch (type) {
  case WIO_VALUE_BOOL:
    if (raw > 1)
      throw std::invalid_argument("a bool value is " + std::to_string(raw) + ", not 0 or 1");
    return Value(raw != 0);
  case WIO_VALUE_F32: {
    float f;
    const auto bits = static_cast<uint32_t>(raw);
    std::memcpy(&f, &bits, 4);
    return Value::f32(f);
  }
  case WIO_VALUE_F64: {
    double d;
    std::memcpy(&d, &raw, 8);
    return Value::f64(d);
  }
  case WIO_VALUE_I8:
    return Value::integer(t, static_cast<int8_t>(raw));
  case WIO_VALUE_I16:
    return Value::integer(t, static_cast<int16_t>(raw));
  case WIO_VALUE_I32:
    return Value::integer(t, static_cast<int32_t>(raw));
  case WIO_VALUE_I64:
    return Value::integer(t, static_cast<int64_t>(raw));
  default: {
    const uint64_t w = width_of(type);
    const uint64_t mask = w == 8 ? UINT64_MAX : (uint64_t{1} << (8 * w)) - 1;
    return Value::unsigned_integer(t, raw & mask);
  }
  }
}

uint64_t load_packed(const uint8_t *p, uint64_t w) {
  uint64_t raw = 0;
  switch (w) {
  case 1:
    raw = *p;
    break;
  case 2: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    raw = v;
    break;
  }
  case 4: {
    uint32_t v;
    std::memcpy(&v, p, 4);
    raw = v;
    break;
  }
  default:
    std::memcpy(&raw, p, 8);
  }
  return raw;
}

Value from_c(const wio_value &v, uint32_t depth) {
  if (v.type < 0 || v.type >= WIO_VALUE_COUNT)
    throw std::invalid_argument("unknown value type " + std::to_string(v.type));
  if (v.type == WIO_VALUE_STRING) {
    if (v.as.str.data == nullptr && v.as.str.size != 0)
      throw std::invalid_argument("a string value with a null pointer");
    return Value(std::string(v.as.str.data ? v.as.str.data : "", v.as.str.size));
  }
  if (v.type != WIO_VALUE_ARRAY) {
    uint64_t raw = 0;
    switch (v.type) {
    case WIO_VALUE_F32: {
      uint32_t bits;
      std::memcpy(&bits, &v.as.f32, 4);
      raw = bits;
      break;
    }
    case WIO_VALUE_F64:
      std::memcpy(&raw, &v.as.f64, 8);
      break;
    case WIO_VALUE_I8:
    case WIO_VALUE_I16:
    case WIO_VALUE_I32:
    case WIO_VALUE_I64:
      raw = static_cast<uint64_t>(v.as.i);
      break;
    default:
      raw = v.as.u;
    }
    // Wider-than-stated integers are refused rather than cut.
    if (v.type != WIO_VALUE_F32 && v.type != WIO_VALUE_F64 && v.type != WIO_VALUE_BOOL) {
      const uint64_t w = width_of(v.type);
      if (w < 8) {
        const bool is_signed =
            v.type == WIO_VALUE_I8 || v.type == WIO_VALUE_I16 || v.type == WIO_VALUE_I32;
        const int shift = static_cast<int>(64 - 8 * w);
        const bool fits =
            is_signed ? (static_cast<int64_t>(raw << shift) >> shift) == static_cast<int64_t>(raw)
                      : (raw >> (8 * w)) == 0;
        if (!fits)
          throw std::invalid_argument("an integer value does not fit its stated type");
      }
    }
    return scalar(v.type, raw);
  }
  if (depth >= WIO_MAX_VALUE_DEPTH)
    throw std::invalid_argument("arrays nest deeper than " + std::to_string(WIO_MAX_VALUE_DEPTH) +
                                " levels");
  if (v.item_type < 0 || v.item_type >= WIO_VALUE_COUNT)
    throw std::invalid_argument("an array of unknown item type " + std::to_string(v.item_type));
  if (v.count != 0 && v.as.items == nullptr)
    throw std::invalid_argument("an array with a null item pointer");
  std::vector<Value> items;
  items.reserve(static_cast<size_t>(std::min<uint64_t>(v.count, 1 << 20)));
  if (v.item_type == WIO_VALUE_STRING) {
    const auto *s = static_cast<const wio_str *>(v.as.items);
    for (uint64_t i = 0; i < v.count; ++i) {
      if (s[i].data == nullptr && s[i].size != 0)
        throw std::invalid_argument("a string item with a null pointer");
      items.emplace_back(std::string(s[i].data ? s[i].data : "", s[i].size));
    }
  } else if (v.item_type == WIO_VALUE_ARRAY) {
    const auto *a = static_cast<const wio_value *>(v.as.items);
    for (uint64_t i = 0; i < v.count; ++i) {
      if (a[i].type != WIO_VALUE_ARRAY)
        throw std::invalid_argument("an array of arrays holds a non-array item");
      items.push_back(from_c(a[i], depth + 1));
    }
  } else {
    const auto *p = static_cast<const uint8_t *>(v.as.items);
    const uint64_t w = width_of(v.item_type);
    for (uint64_t i = 0; i < v.count; ++i)
      items.push_back(scalar(v.item_type, load_packed(p + i * w, w)));
  }
  return Value::array(static_cast<ValueType>(v.item_type), std::move(items));
}

} // namespace

wio_value ValueArena::make(const Value &v) {
  wio_value out{};
  out.type = static_cast<int32_t>(v.type());
  switch (v.type()) {
  case ValueType::String:
    out.as.str = {v.as_string().data(), v.as_string().size()};
    return out;
  case ValueType::F32:
    out.as.f32 = v.as_f32();
    return out;
  case ValueType::F64:
    out.as.f64 = v.as_double();
    return out;
  case ValueType::I8:
  case ValueType::I16:
  case ValueType::I32:
  case ValueType::I64:
    out.as.i = v.as_int();
    return out;
  case ValueType::Array:
    break;
  default:
    out.as.u = v.bits();
    return out;
  }
  const auto &items = v.items();
  out.item_type = static_cast<int32_t>(v.item_type());
  out.count = items.size();
  if (v.item_type() == ValueType::String) {
    auto &s = strings_.emplace_back();
    s.reserve(items.size());
    for (const auto &i : items)
      s.push_back({i.as_string().data(), i.as_string().size()});
    out.as.items = s.data();
  } else if (v.item_type() == ValueType::Array) {
    auto &a = arrays_.emplace_back();
    a.reserve(items.size());
    for (const auto &i : items)
      a.push_back(make(i));
    out.as.items = a.data();
  } else {
    const uint64_t w = width_of(out.item_type);
    auto &p = packed_.emplace_back(items.size() * w);
    for (size_t k = 0; k < items.size(); ++k) {
      const uint64_t raw = items[k].bits();
      switch (w) {
      case 1:
        p[k] = static_cast<uint8_t>(raw);
        break;
      case 2: {
        const auto x = static_cast<uint16_t>(raw);
        std::memcpy(&p[k * 2], &x, 2);
        break;
      }
      case 4: {
        const auto x = static_cast<uint32_t>(raw);
        std::memcpy(&p[k * 4], &x, 4);
        break;
      }
      default:
        std::memcpy(&p[k * 8], &raw, 8);
      }
    }
    out.as.items = p.data();
  }
  return out;
}

Value value_from_c(const wio_value &v) {
  return from_c(v, 0);
}

bool value_fits(const Value &v, const std::vector<ValueType> &types, ValueType &missing) {
  auto holds = [&](ValueType t) { return std::find(types.begin(), types.end(), t) != types.end(); };
  if (!holds(v.type())) {
    missing = v.type();
    return false;
  }
  if (v.type() != ValueType::Array)
    return true;
  if (!holds(v.item_type())) {
    missing = v.item_type();
    return false;
  }
  for (const auto &i : v.items())
    if (i.type() == ValueType::Array && !value_fits(i, types, missing))
      return false;
  return true;
}

bool value_fits(const Value &v, const FormatInfo &format, ValueType &missing) {
  if (!value_fits(v, format.metadata_types, missing))
    return false;
  // Nested deeper than declared: the array level the format lacks.
  if (format.max_array_depth != 0 && v.depth() > format.max_array_depth) {
    missing = ValueType::Array;
    return false;
  }
  return true;
}

std::string depth_refusal(const std::string &key, const Value &v, const FormatInfo &format) {
  if (format.max_array_depth == 0 || v.depth() <= format.max_array_depth)
    return {};
  return "the " + format.name + " format holds " +
         (format.max_array_depth == 1
              ? std::string("flat arrays only")
              : "arrays nested " + std::to_string(format.max_array_depth) + " deep at most") +
         ": metadata value " + sdk::quoted(key) + ": " +
         over_limit_text("array depth", v.depth(), format.max_array_depth, "max_array_depth");
}

} // namespace weightio::detail

namespace weightio {

bool format_holds(const FormatInfo &format, const Value &value) {
  ValueType missing{};
  return format.metadata && detail::value_fits(value, format, missing);
}

} // namespace weightio
