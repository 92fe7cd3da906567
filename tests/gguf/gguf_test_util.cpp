#include "gguf_test_util.hpp"

#include <algorithm>
#include <bit>
#include <fstream>
#include <sstream>

namespace ggtest {

using nlohmann::json;
using weightio::gguf::Value;
using weightio::gguf::ValueType;

std::vector<std::string> reference_files(const std::string &prefix) {
  std::ifstream in(data_file("MANIFEST.tsv"));
  std::vector<std::string> out;
  std::string line;
  std::getline(in, line); // column names
  while (std::getline(in, line)) {
    const std::string name = line.substr(0, line.find('\t'));
    if (name.rfind(prefix, 0) == 0)
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

wtest::fs::path data_file(const std::string &name) {
  return wtest::data_path("gguf/" + name);
}

json expected_for(const std::string &gguf_name) {
  const std::string stem = gguf_name.substr(0, gguf_name.size() - 5); // ".gguf"
  return json::parse(wtest::read_text(data_file(stem + ".expected.json")));
}

namespace {

json scalar_json(const Value &v) {
  switch (v.type) {
  case ValueType::FLOAT32:
  case ValueType::FLOAT64:
    return v.as_f64();
  case ValueType::BOOL:
    return v.as_bool();
  case ValueType::STRING:
    return v.str;
  default:
    if (weightio::gguf::is_signed(v.type))
      return v.as_i64();
    return v.as_u64();
  }
}

json array_items_json(const Value &v) {
  json items = json::array();
  for (uint64_t i = 0; i < v.size(); ++i) {
    const Value item = v.item(i);
    if (item.type == ValueType::ARRAY)
      items.push_back(
          {{"item_type", *weightio::gguf::value_type_name(static_cast<uint32_t>(item.item_type))},
           {"value", array_items_json(item)}});
    else
      items.push_back(scalar_json(item));
  }
  return items;
}

} // namespace

json to_expected_json(const weightio::gguf::KeyValue &kv) {
  const auto type_name = [](ValueType t) {
    return std::string(*weightio::gguf::value_type_name(static_cast<uint32_t>(t)));
  };
  json j = {{"key", kv.key}, {"type", type_name(kv.value.type)}};
  if (kv.value.type == ValueType::ARRAY) {
    j["item_type"] = type_name(kv.value.item_type);
    j["value"] = array_items_json(kv.value);
  } else {
    j["value"] = scalar_json(kv.value);
  }
  return j;
}

std::string sha256_of_floats(const std::vector<float> &values) {
  static_assert(std::endian::native == std::endian::little);
  return wtest::sha256_hex(values.data(), values.size() * sizeof(float));
}

} // namespace ggtest
