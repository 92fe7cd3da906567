#include "header_parse.hpp"

#include "duplicates.hpp"
#include "header_error.hpp"
#include "header_parts.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <string>
#include <string_view>

namespace weightio::safetensors {

ParsedHeader parse_header(std::span<const uint8_t> file, const ParseLimits &limits) {
  const uint64_t size = file.size();
  if (size < 8)
    refuse(HeaderError::file_too_small,
           "the file is " + std::to_string(size) +
               " bytes; a safetensors file starts with an 8-byte header length");
  ParsedHeader h;
  h.header_len = sdk::ByteReader(file.data(), size).u64("header length");
  uint64_t max_header = kMaxHeaderBytes;
  if (limits.max_header_bytes != 0 && limits.max_header_bytes < max_header)
    max_header = limits.max_header_bytes;
  if (h.header_len > max_header)
    sdk::over_limit(error_message(HeaderError::header_too_large, "header length"), h.header_len,
                    max_header, "max_header_bytes");
  if (h.header_len > size - 8)
    refuse(HeaderError::header_truncated, "the header length is " + std::to_string(h.header_len) +
                                              " bytes but only " + std::to_string(size - 8) +
                                              " bytes follow it; the file is cut short");
  h.data_start = 8 + h.header_len;

  const std::string_view text(reinterpret_cast<const char *>(file.data()) + 8, h.header_len);
  if (auto bad = sdk::first_invalid_utf8(text)) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto byte = static_cast<unsigned char>(text[*bad]);
    refuse(HeaderError::header_not_utf8, std::string("invalid UTF-8 byte 0x") + kHex[byte >> 4] +
                                             kHex[byte & 15] + " at header offset " +
                                             std::to_string(*bad));
  }
  // nlohmann skips a byte order mark; serde_json (and JSON) does not.
  if (text.starts_with("\xEF\xBB\xBF"))
    refuse(HeaderError::bad_json, "not valid JSON: the header starts with a byte order mark");

  // nlohmann stops at a NUL byte as if the input ended there, which would
  // accept anything after it; JSON allows no raw NUL anywhere.
  if (auto nul = text.find('\0'); nul != std::string_view::npos)
    refuse(HeaderError::bad_json,
           "not valid JSON: NUL byte at header offset " + std::to_string(nul));

  read_header_json(text, limits, h);
  // The last JSON-level check: the spec forbids repeating a key, and tensor
  // names are keys of the top-level object.
  if (auto dup = find_duplicate(h.tensors.size(),
                                [&](size_t i) -> std::string_view { return h.name(h.tensors[i]); }))
    refuse(HeaderError::bad_json,
           "tensor " + sdk::quoted(*dup) +
               " appears twice (the safetensors spec forbids duplicate names)");

  // The official reader sorts by (begin, end) and leaves ties (zero-size
  // tensors at one offset) in hash order; breaking them by name makes the
  // order repeatable and independent of how the header was written.
  std::sort(h.tensors.begin(), h.tensors.end(), [&h](const auto &a, const auto &b) {
    if (a.begin != b.begin)
      return a.begin < b.begin;
    if (a.end != b.end)
      return a.end < b.end;
    return h.name(a) < h.name(b);
  });
  const uint64_t data_end = validate_layout(h);
  if (data_end != size - h.data_start)
    refuse(HeaderError::data_length_mismatch,
           "the tensors cover " + std::to_string(data_end) + " bytes of data but " +
               std::to_string(size - h.data_start) + " bytes follow the header" +
               (data_end < size - h.data_start ? " (trailing bytes)" : " (data is missing)"));
  return h;
}

} // namespace weightio::safetensors
