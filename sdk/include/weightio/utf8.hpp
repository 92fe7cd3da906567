// Strict UTF-8 validation for plugin authors (C++17 or later), as Rust's
// std::str::from_utf8 (which the official safetensors reader applies to the
// whole header) and Python's strict decoder (which zipfile applies to names
// flagged UTF-8): no overlong forms, no surrogates, nothing above U+10FFFF.
// Header-only and independent of the plugin ABI, so the core and tools can
// use it too.
#ifndef WEIGHTIO_UTF8_HPP
#define WEIGHTIO_UTF8_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace weightio::sdk {

// The length (1 to 4) of the valid UTF-8 sequence that starts at bytes[i],
// or 0 when none does (a stray continuation byte, an overlong form, a
// surrogate, a code point above U+10FFFF, or a sequence cut by the end).
// Precondition: i < bytes.size().
inline size_t utf8_sequence_length(std::string_view bytes, size_t i) noexcept {
  const auto *s = reinterpret_cast<const unsigned char *>(bytes.data());
  const size_t n = bytes.size();
  const unsigned char c = s[i];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0; // overlong
    else if (c == 0xED)
      hi = 0x9F; // UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90; // overlong
    else if (c == 0xF4)
      hi = 0x8F; // above U+10FFFF
  } else {
    return 0;
  }
  if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
    return 0;
  for (size_t k = 2; k < len; ++k)
    if ((s[i + k] & 0xC0) != 0x80)
      return 0;
  return len;
}

// The code point of a valid sequence of `len` bytes at bytes[i] (as
// utf8_sequence_length measured it).
inline uint32_t utf8_code_point(std::string_view bytes, size_t i, size_t len) noexcept {
  const auto *s = reinterpret_cast<const unsigned char *>(bytes.data()) + i;
  if (len == 1)
    return s[0];
  uint32_t cp = s[0] & (0x7Fu >> len);
  for (size_t k = 1; k < len; ++k)
    cp = (cp << 6) | (s[k] & 0x3Fu);
  return cp;
}

// The offset of the first byte that does not start a valid sequence, or
// nullopt when all of `bytes` is valid UTF-8.
inline std::optional<size_t> first_invalid_utf8(std::string_view bytes) noexcept {
  const auto *s = reinterpret_cast<const unsigned char *>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    // Headers are mostly ASCII: skip it eight bytes at a time.
    if (n - i >= 8) {
      uint64_t word;
      std::memcpy(&word, s + i, 8);
      if ((word & UINT64_C(0x8080808080808080)) == 0) {
        i += 8;
        continue;
      }
    }
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    const size_t len = utf8_sequence_length(bytes, i);
    if (len == 0)
      return i;
    i += len;
  }
  return std::nullopt;
}

inline bool is_utf8(std::string_view bytes) noexcept {
  return !first_invalid_utf8(bytes).has_value();
}

} // namespace weightio::sdk

#endif
