// The closed set of ways a safetensors header is refused, one per error
// kind of the official reader (its SafeTensorError variants), and the one
// place their messages are worded: each starts with its kind's phrase, which
// docs/safetensors.md maps back to the official kind.
#pragma once

#include "../common/error_kind.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::safetensors {

enum class HeaderError : uint8_t {
  file_too_small,       // HeaderTooSmall
  header_too_large,     // HeaderTooLarge
  header_truncated,     // InvalidHeaderLength
  header_not_utf8,      // InvalidHeader
  bad_json,             // InvalidHeaderDeserialization
  bad_offsets,          // InvalidOffset
  shape_overflow,       // ValidationOverflow
  partial_byte,         // MisalignedSlice
  size_mismatch,        // TensorInvalidInfo
  data_length_mismatch, // MetadataIncompleteBuffer
};

constexpr std::string_view phrase(HeaderError kind) {
  switch (kind) {
  case HeaderError::file_too_small:
    return "file too small";
  case HeaderError::header_too_large:
    return "header too large";
  case HeaderError::header_truncated:
    return "header truncated";
  case HeaderError::header_not_utf8:
    return "header not UTF-8";
  case HeaderError::bad_json:
    return "bad header JSON";
  case HeaderError::bad_offsets:
    return "bad data_offsets";
  case HeaderError::shape_overflow:
    return "shape overflow";
  case HeaderError::partial_byte:
    return "partial byte";
  case HeaderError::size_mismatch:
    return "tensor size mismatch";
  case HeaderError::data_length_mismatch:
    return "data length mismatch";
  }
  return "invalid header";
}

// "<phrase>: <detail>", or the phrase alone.
inline std::string error_message(HeaderError kind, std::string_view detail) {
  return common::kind_message(kind, detail);
}

// Throws sdk::Failure(WIO_ERR_INVALID_FILE) with error_message(kind, detail).
[[noreturn]] inline void refuse(HeaderError kind, std::string_view detail) {
  sdk::invalid_file(error_message(kind, detail));
}

} // namespace weightio::safetensors
