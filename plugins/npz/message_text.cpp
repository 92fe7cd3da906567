#include "message_text.hpp"

namespace weightio::npz {
namespace {

// Long enough for any real tensor name, short enough that the reason after
// it still fits in a host's error buffer.
constexpr size_t kShownNameBytes = 256;

} // namespace

std::string escaped_name(std::string_view name) {
  std::string_view shown = name;
  if (shown.size() > kShownNameBytes) {
    size_t cut = kShownNameBytes;
    // Back off UTF-8 continuation bytes so the cut never splits a character.
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80)
      --cut;
    shown = name.substr(0, cut);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(shown.size());
  for (const char ch : shown) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  if (shown.size() != name.size())
    out += "... (" + std::to_string(name.size()) + " bytes)";
  return out;
}

std::string quoted_name(std::string_view name) {
  return "'" + escaped_name(name) + "'";
}

std::string count_of(uint64_t n, std::string_view singular, std::string_view plural) {
  std::string out = std::to_string(n) + " ";
  if (n == 1)
    out += singular;
  else if (plural.empty())
    out.append(singular).push_back('s');
  else
    out += plural;
  return out;
}

} // namespace weightio::npz
