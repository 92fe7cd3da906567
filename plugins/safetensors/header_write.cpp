#include "header_write.hpp"

#include <weightio/dtype_info.hpp>

#include <charconv>

namespace weightio::safetensors {

namespace {

// A JSON string as serde_json's to_string (and nlohmann's dump) writes it:
// UTF-8 kept as it is, the quote and the backslash escaped, the control
// characters as \b \t \n \f \r or \u00xx (lowercase hex). `s` is valid
// UTF-8 (checked by the caller).
void append_string(std::string &out, std::string_view s) {
  out += '"';
  size_t plain = 0; // start of the run not yet copied
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(s.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\r':
      out += "\\r";
      break;
    default: {
      static constexpr char hex[] = "0123456789abcdef";
      const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      out.append(esc, sizeof esc);
    }
    }
  }
  out.append(s.substr(plain));
  out += '"';
}

void append_number(std::string &out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

} // namespace

// Written straight into the text: building it as a JSON value first cost
// ~500 bytes of nodes per tensor (half a gigabyte for a million tensors).
std::string build_header(std::span<const HeaderTensor> tensors,
                         std::span<const MetadataEntry> metadata) {
  std::string text;
  size_t estimate = 2;
  for (const auto &[key, value] : metadata)
    estimate += key.size() + value.size() + 8;
  for (const HeaderTensor &t : tensors)
    estimate += t.name.size() + 64 + 8 * t.shape.size();
  text.reserve(estimate + estimate / 8);

  text += '{';
  bool first = true;
  if (!metadata.empty()) {
    text += "\"__metadata__\":{";
    for (const auto &[key, value] : metadata) {
      if (!first)
        text += ',';
      first = false;
      append_string(text, key);
      text += ':';
      append_string(text, value);
    }
    text += '}';
    first = false;
  }
  for (const HeaderTensor &t : tensors) {
    if (!first)
      text += ',';
    first = false;
    append_string(text, t.name);
    text += ":{\"dtype\":";
    append_string(text, sdk::dtype_info(t.dtype).name);
    text += ",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (i != 0)
        text += ',';
      append_number(text, static_cast<uint64_t>(t.shape[i]));
    }
    text += "],\"data_offsets\":[";
    append_number(text, t.begin);
    text += ',';
    append_number(text, t.end);
    text += "]}";
  }
  text += '}';
  // Compact, non-ASCII kept as UTF-8 and control characters as \u00XX:
  // exactly serde_json's to_string, which the official writer uses.
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

} // namespace weightio::safetensors
