// How a name from a file (a tensor name, a metadata key, a member name)
// appears in a message: sdk::quoted(). One rule for the core, the tools and
// every plugin, header-only (C++17 or later) and independent of the plugin
// ABI.
//
// The result is the name between single quotes:
//   - valid UTF-8 is kept as it is ('блок.0', '权重');
//   - \n and \t are written so; every other C0 control (U+0000..U+001F) and
//     DEL as \xNN, two lowercase hex digits ('a\x00b', '\x1b[31m');
//   - C1 controls (U+0080..U+009F) and the bidirectional controls (U+061C,
//     U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) as \uNNNN, four
//     lowercase hex digits ('\u0085', '\u202e'), as the CLI spells them,
//     so a name can neither forge a line nor reorder the text around it on
//     a terminal;
//   - each byte that does not start a valid UTF-8 sequence as \xNN;
//   - a name longer than kQuotedMaxBytes (256) bytes is cut at the last whole
//     character within that many bytes, and the full length follows the
//     closing quote: 'aaaa…aaa'... (300 bytes).
// The quote character and the backslash are kept: the text is for reading,
// not for parsing back. No NUL survives, so the host's C error buffer never
// cuts a message short.
//
// Call it qualified, sdk::quoted(name): unqualified, with a std::string
// argument, argument-dependent lookup prefers std::quoted (<iomanip>).
#ifndef WEIGHTIO_QUOTED_HPP
#define WEIGHTIO_QUOTED_HPP

#include <weightio/utf8.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::sdk {

// Long enough for any real tensor name, short enough that the reason after
// it still fits in a host's error buffer.
inline constexpr size_t kQuotedMaxBytes = 256;

// Whether a code point is shown escaped though it is valid UTF-8: the C1
// controls and the bidirectional formatting characters.
constexpr bool quoted_escapes(uint32_t cp) noexcept {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

inline std::string quoted(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(name.size() < kQuotedMaxBytes ? name.size() + 2 : kQuotedMaxBytes + 24);
  out += '\'';
  size_t i = 0;
  while (i < name.size()) {
    const auto c = static_cast<unsigned char>(name[i]);
    const size_t len = c < 0x80 ? 1 : utf8_sequence_length(name, i);
    // An invalid byte is shown alone, so it counts as one.
    if (i + (len == 0 ? 1 : len) > kQuotedMaxBytes)
      break;
    if (len == 0 || (len == 1 && (c < 0x20 || c == 0x7F))) {
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else {
        const char esc[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
        out.append(esc, 4);
      }
      ++i;
      continue;
    }
    if (len > 1) {
      const uint32_t cp = utf8_code_point(name, i, len);
      if (quoted_escapes(cp)) {
        const char esc[6] = {
            '\\',         'u', kHex[(cp >> 12) & 15], kHex[(cp >> 8) & 15], kHex[(cp >> 4) & 15],
            kHex[cp & 15]};
        out.append(esc, 6);
        i += len;
        continue;
      }
    }
    out.append(name.data() + i, len);
    i += len;
  }
  out += '\'';
  if (i < name.size())
    out += "... (" + std::to_string(name.size()) + " bytes)";
  return out;
}

} // namespace weightio::sdk

#endif
