// The closed set of ways the ZIP library refuses an archive, with the one
// formatter its messages go through: "<phrase>[ '<member>']: <detail>". npz
// and any other ZIP-based format (PyTorch checkpoints) share it, so an
// archive's fault reads the same whatever format holds it.
#pragma once

#include "../error_kind.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::zip {

enum class ZipError : uint8_t {
  not_an_archive,    // no end record, multi-disk, a directory outside the file
  bad_member,        // one member's directory or local record is inconsistent
  truncated_deflate, // a deflate stream ends past the member's compressed size
  corrupt_deflate,   // inflate refused the stream
};

constexpr std::string_view phrase(ZipError kind) {
  switch (kind) {
  case ZipError::not_an_archive:
    return "not a valid zip archive";
  case ZipError::bad_member:
    return "bad member";
  case ZipError::truncated_deflate:
    return "truncated deflate data";
  case ZipError::corrupt_deflate:
    return "corrupt deflate data";
  }
  return "invalid zip archive";
}

// "<phrase>: <detail>", with the member's quoted name after the phrase when
// there is one: "bad member 'a.npy': it is encrypted".
inline std::string error_message(ZipError kind, std::string_view member, std::string_view detail) {
  return common::kind_message(kind, detail, member);
}

// Throws sdk::Failure(WIO_ERR_INVALID_FILE) with error_message().
[[noreturn]] inline void refuse(ZipError kind, std::string_view member, std::string_view detail) {
  sdk::invalid_file(error_message(kind, member, detail));
}

} // namespace weightio::zip
