// Exceptions thrown by weightio. Every message names the file (when there is
// one), the tensor (when there is one) and the reason.
//
// In what(), names from files (tensors, metadata keys, shards) are quoted by
// sdk::quoted (weightio/quoted.hpp): UTF-8 kept, controls, C1, bidirectional
// and line-separator characters escaped, cut after 256 bytes. Paths appear
// as the caller gave them. file() and tensor() hold the exact names.
#pragma once

#include <stdexcept>
#include <string>

namespace weightio {

// What went wrong, independent of the message text. Mirrors the plugin ABI's
// status codes, plus the core's own kinds.
enum class ErrorCode {
  InvalidFile = 1,       // malformed input, failed validation or CRC
  UnsupportedDType = 2,  // the format can't hold a tensor's dtype
  UnsupportedOption = 3, // an option the format can't honour
  Io = 4,                // open, read, write, fsync, rename failed
  Cancelled = 5,         // a progress callback asked to stop
  Internal = 6,          // a bug or out of memory
  Plugin = 7,            // a plugin could not be loaded or misbehaved
  Mismatch = 8,          // load_weights_into: names, shapes or dtypes differ
  InvalidArgument = 9,   // bad parameters from the caller (duplicate name...)
  UnknownFormat = 10,    // no plugin for the extension / format name
};

class Error : public std::runtime_error {
public:
  Error(ErrorCode code, const std::string &message, std::string file = {}, std::string tensor = {},
        std::string limit = {})
      : std::runtime_error(message), code_(code), file_(std::move(file)),
        tensor_(std::move(tensor)), limit_(std::move(limit)) {}
  ErrorCode code() const noexcept { return code_; }
  // The file concerned, or empty.
  const std::string &file() const noexcept { return file_; }
  // The tensor concerned, or empty.
  const std::string &tensor() const noexcept { return tensor_; }
  // Added in 0.3: the name of the limit a file or a save is over, or empty
  // when the error is not about a limit. A field of LoadLimits (at load:
  // "max_header_bytes", "max_tensors", ...) or of the format's write limits
  // (at save: "max_ndim", "max_name_bytes", ...), or a name the format's
  // plugin gives its own limit. Such errors are FormatError at load and
  // UnsupportedError at save, and their message reads "<what> <value> is
  // over the limit <limit> (<field>)".
  const std::string &limit() const noexcept { return limit_; }

private:
  ErrorCode code_;
  std::string file_;
  std::string tensor_;
  std::string limit_;
};

// The input file is not valid for its format (ErrorCode::InvalidFile).
class FormatError : public Error {
public:
  using Error::Error;
};
// No plugin for a format, or a plugin failed to load or broke the ABI
// contract (ErrorCode::Plugin, ErrorCode::UnknownFormat).
class PluginError : public Error {
public:
  using Error::Error;
};
// The format can't hold a dtype or honour an option
// (ErrorCode::UnsupportedDType, ErrorCode::UnsupportedOption).
class UnsupportedError : public Error {
public:
  using Error::Error;
};
// The operating system refused: open, map, write, fsync, rename (ErrorCode::Io).
class IoError : public Error {
public:
  using Error::Error;
};
// load_weights_into found missing, extra or differently shaped tensors
// (ErrorCode::Mismatch); the message lists every one.
class MismatchError : public Error {
public:
  using Error::Error;
};

} // namespace weightio
