// Safetensors files with very many entries, written byte by byte here (not
// by weightio), for the scaling tests: how much memory a load or
// an inspect of a million-entry header takes, and that every entry comes out.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace wtest {

// Name of tensor i: mostly plain, with every 1000th needing JSON escapes (a
// quote, a control character) and every 1000th (offset by 500) non-ASCII.
inline std::string many_tensor_name(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "layers.%07llu.w", static_cast<unsigned long long>(i));
  std::string name = buf;
  if (i % 1000 == 7)
    name += "\"q\"\x01";
  if (i % 1000 == 507)
    name += "\xC3\xBC";
  return name;
}
inline std::string many_metadata_key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key.%07llu", static_cast<unsigned long long>(i));
  return buf;
}
inline std::string many_metadata_value(uint64_t i) {
  return "value " + std::to_string(i);
}

// JSON string literal for the names above (escapes only what they hold).
inline std::string many_json_string(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += "\\\"";
    else if (c == '\x01')
      out += "\\u0001";
    else
      out += c;
  }
  return out + "\"";
}

// `tensors` one-element F32 tensors (value i) named many_tensor_name(i), in
// data order, and `metadata` entries key.i = "value i", header order.
inline void write_many_entries(const std::filesystem::path &path, uint64_t tensors,
                               uint64_t metadata) {
  std::string h = "{";
  if (metadata != 0) {
    h += "\"__metadata__\":{";
    for (uint64_t i = 0; i < metadata; ++i)
      h += (i ? ",\"" : "\"") + many_metadata_key(i) + "\":\"" + many_metadata_value(i) + "\"";
    h += "}";
  }
  for (uint64_t i = 0; i < tensors; ++i)
    h += (i || metadata ? "," : "") + many_json_string(many_tensor_name(i)) +
         ":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" + std::to_string(4 * i) + "," +
         std::to_string(4 * i + 4) + "]}";
  h += "}";
  h.append((8 - h.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary);
  const uint64_t n = h.size();
  for (int b = 0; b < 8; ++b)
    out.put(static_cast<char>(n >> (8 * b)));
  out << h;
  for (uint64_t i = 0; i < tensors; ++i) {
    const float f = static_cast<float>(i);
    out.write(reinterpret_cast<const char *>(&f), sizeof f); // little-endian host
  }
}

} // namespace wtest
