#include "host/plugin_status.hpp"

#include <weightio/error.hpp>

#include <cstring>

namespace weightio::detail {

void throw_plugin_status(int32_t status, const char *message, std::exception_ptr host_error,
                         const std::string &file, const PluginLibrary &plugin, const char *action) {
  if (host_error)
    std::rethrow_exception(host_error);
  std::string msg(message, ::strnlen(message, kPluginErrorSize));
  if (msg.empty())
    msg = "the plugin reported an error without a message";
  const std::string text =
      "cannot " + std::string(action) + " '" + file + "': " + msg + " " + plugin.label();
  switch (status) {
  case WIO_ERR_INVALID_FILE:
    throw FormatError(ErrorCode::InvalidFile, text, file);
  case WIO_ERR_UNSUPPORTED_DTYPE:
    throw UnsupportedError(ErrorCode::UnsupportedDType, text, file);
  case WIO_ERR_UNSUPPORTED_OPTION:
    throw UnsupportedError(ErrorCode::UnsupportedOption, text, file);
  case WIO_ERR_IO:
    throw IoError(ErrorCode::Io, text, file);
  case WIO_ERR_CANCELLED:
    throw Error(ErrorCode::Cancelled, text, file);
  case WIO_ERR_INTERNAL:
    throw Error(ErrorCode::Internal, text, file);
  default:
    throw PluginError(ErrorCode::Plugin,
                      text + " (unknown status code " + std::to_string(status) + ")", file);
  }
}

int32_t status_for(const std::exception_ptr &e) noexcept {
  if (!e)
    return WIO_OK;
  try {
    std::rethrow_exception(e);
  } catch (const Error &err) {
    switch (err.code()) {
    case ErrorCode::Cancelled:
      return WIO_ERR_CANCELLED;
    case ErrorCode::Io:
      return WIO_ERR_IO;
    case ErrorCode::InvalidFile:
      return WIO_ERR_INVALID_FILE;
    default:
      return WIO_ERR_INTERNAL;
    }
  } catch (...) {
    return WIO_ERR_INTERNAL;
  }
}

} // namespace weightio::detail
