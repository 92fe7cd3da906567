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
//     U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) and the line and
//     paragraph separators (U+2028, U+2029) as \uNNNN, four
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
// sdk::escaped(text) applies the same rule to a whole text without quotes
// or cut; the CLI passes every message through it before a terminal sees it.
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
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

namespace quoted_detail {

// Appends `text` escaped by the rule above to `out` and returns how many
// bytes of `text` it consumed: all of them, or fewer when the next character
// would pass `max_bytes` (a character is never split).
inline size_t append_escaped(std::string &out, std::string_view text, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const size_t len = c < 0x80 ? 1 : utf8_sequence_length(text, i);
    // An invalid byte is shown alone, so it counts as one.
    if (i + (len == 0 ? 1 : len) > max_bytes)
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
      const uint32_t cp = utf8_code_point(text, i, len);
      if (quoted_escapes(cp)) {
        const char esc[6] = {
            '\\',         'u', kHex[(cp >> 12) & 15], kHex[(cp >> 8) & 15], kHex[(cp >> 4) & 15],
            kHex[cp & 15]};
        out.append(esc, 6);
        i += len;
        continue;
      }
    }
    out.append(text.data() + i, len);
    i += len;
  }
  return i;
}

} // namespace quoted_detail

inline std::string quoted(std::string_view name) {
  std::string out;
  out.reserve(name.size() < kQuotedMaxBytes ? name.size() + 2 : kQuotedMaxBytes + 24);
  out += '\'';
  const size_t shown = quoted_detail::append_escaped(out, name, kQuotedMaxBytes);
  out += '\'';
  if (shown < name.size())
    out += "... (" + std::to_string(name.size()) + " bytes)";
  return out;
}

// A whole text (a message, a path the user typed, a table cell) under the
// same rule, neither quoted nor cut. It leaves its own output, and so any
// text built from quoted() names, unchanged: a last pass over a message
// escapes what is still raw and never escapes a name twice.
inline std::string escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  quoted_detail::append_escaped(out, text, text.size());
  return out;
}

} // namespace weightio::sdk

#endif
