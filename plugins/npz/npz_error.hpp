// The closed set of ways the npz reader refuses a member, beside the ZIP
// container's own (zip_error.hpp), with one formatter: "<phrase>: <detail>".
// The reader puts "member '<name>': " before it.
#pragma once

#include "../common/error_kind.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::npz {

enum class NpzError : uint8_t {
  not_npy,       // a member whose name does not end in .npy
  npy_header,    // the npy preamble or header dict is malformed
  data_size,     // the header's shape and dtype disagree with the member's size
  inflated_size, // a deflated member inflates to more or less than declared
  crc_mismatch,  // the member's bytes do not give the CRC-32 the archive records
};

constexpr std::string_view phrase(NpzError kind) {
  switch (kind) {
  case NpzError::not_npy:
    return "not an .npy file";
  case NpzError::npy_header:
    return "npy header";
  case NpzError::data_size:
    return "npy data size mismatch";
  case NpzError::inflated_size:
    return "inflated size mismatch";
  case NpzError::crc_mismatch:
    return "CRC-32 mismatch";
  }
  return "invalid npz member";
}

inline std::string error_message(NpzError kind, std::string_view detail) {
  return common::kind_message(kind, detail);
}

// Throws sdk::Failure(WIO_ERR_INVALID_FILE) with error_message().
[[noreturn]] inline void refuse(NpzError kind, std::string_view detail) {
  sdk::invalid_file(error_message(kind, detail));
}

} // namespace weightio::npz
