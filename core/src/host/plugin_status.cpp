#include "host/plugin_status.hpp"

#include <weightio/error.hpp>

#include <algorithm>
#include <cstring>

namespace weightio::detail {

std::string limit_named_in(std::string_view message) {
  const auto open = message.rfind(" (");
  if (message.empty() || message.back() != ')' || open == std::string_view::npos)
    return {};
  const std::string_view name = message.substr(open + 2, message.size() - open - 3);
  const bool ok =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == ':';
      });
  return ok ? std::string(name) : std::string();
}

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
  case WIO_ERR_LIMIT: {
    // The same types and codes as a file or a save the format refuses
    // otherwise, so callers' catches keep working; limit() says which.
    std::string limit = limit_named_in(msg);
    if (limit.empty())
      limit = "unnamed";
    if (std::strcmp(action, "save") == 0)
      throw UnsupportedError(ErrorCode::UnsupportedOption, text, file, {}, std::move(limit));
    throw FormatError(ErrorCode::InvalidFile, text, file, {}, std::move(limit));
  }
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
