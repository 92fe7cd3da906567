#include "metadata_view.hpp"

#include "human.hpp"
#include "json_out.hpp"

#include <cmath>
#include <ostream>
#include <sstream>

namespace wcli {

namespace {

using weightio::Value;
using weightio::ValueType;

constexpr size_t kInlineItems = 8; // arrays longer than this are abbreviated

nlohmann::ordered_json number_json(double d) {
  if (std::isnan(d))
    return "nan";
  if (std::isinf(d))
    return d > 0 ? "inf" : "-inf";
  return d;
}

nlohmann::ordered_json scalar_json(const Value &v) {
  switch (v.type()) {
  case ValueType::String:
    return v.as_string();
  case ValueType::Bool:
    return v.as_bool();
  case ValueType::F32:
  case ValueType::F64:
    return number_json(v.as_double());
  default:
    if (weightio::value_type_is_signed(v.type()))
      return v.as_int();
    return v.as_uint();
  }
}

// An array's items: scalars, or for nested arrays {"item_type", "value"}.
nlohmann::ordered_json items_json(const Value &v) {
  auto out = nlohmann::ordered_json::array();
  for (const auto &i : v.items()) {
    if (i.type() == ValueType::Array)
      out.push_back({{"item_type", std::string(weightio::value_type_name(i.item_type()))},
                     {"value", items_json(i)}});
    else
      out.push_back(scalar_json(i));
  }
  return out;
}

std::string scalar_text(const Value &v) {
  switch (v.type()) {
  case ValueType::String:
    return printable(v.as_string());
  case ValueType::Bool:
    return v.as_bool() ? "true" : "false";
  case ValueType::F32:
  case ValueType::F64: {
    std::ostringstream s;
    s.precision(v.type() == ValueType::F32 ? 9 : 17);
    s << v.as_double();
    return s.str();
  }
  default:
    return weightio::value_type_is_signed(v.type()) ? std::to_string(v.as_int())
                                                    : std::to_string(v.as_uint());
  }
}

} // namespace

std::string value_text(const Value &v) {
  if (v.type() != ValueType::Array)
    return scalar_text(v);
  const auto &items = v.items();
  if (items.size() > kInlineItems || v.item_type() == ValueType::Array)
    return "[" + std::string(weightio::value_type_name(v.item_type())) + " x " +
           std::to_string(items.size()) + "]";
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    const bool str = items[i].type() == ValueType::String;
    out += (i ? ", " : "") + (str ? "\"" + scalar_text(items[i]) + "\"" : scalar_text(items[i]));
  }
  return out + "]";
}

nlohmann::ordered_json metadata_entry_json(const std::string &key, const Value &v) {
  nlohmann::ordered_json e;
  e["key"] = key;
  e["type"] = std::string(weightio::value_type_name(v.type()));
  if (v.type() == ValueType::Array) {
    e["item_type"] = std::string(weightio::value_type_name(v.item_type()));
    e["value"] = items_json(v);
  } else {
    e["value"] = scalar_json(v);
  }
  return e;
}

nlohmann::ordered_json metadata_json(const weightio::Metadata &m) {
  auto out = nlohmann::ordered_json::array();
  for (const auto &[key, v] : m)
    out.push_back(metadata_entry_json(key, v));
  return out;
}

void write_metadata_entry(std::ostream &out, const std::string &key, const Value &v) {
  if (v.type() != ValueType::String) {
    out << metadata_entry_json(key, v).dump(-1, ' ', false,
                                            nlohmann::json::error_handler_t::replace);
    return;
  }
  // Strings, all of safetensors' metadata, without a JSON value per entry.
  out << "{\"key\":";
  write_json_string(out, key);
  out << ",\"type\":\"STRING\",\"value\":";
  write_json_string(out, v.as_string());
  out << '}';
}

} // namespace wcli
