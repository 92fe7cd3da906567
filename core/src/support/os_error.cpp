#include "support/os_error.hpp"

#include <weightio/error.hpp>

#include <cerrno>
#include <cstring>

namespace weightio::detail {

std::string os_reason(int err) noexcept {
  try {
    std::string reason = std::strerror(err);
    if (err == ENOSPC || err == EDQUOT)
      return "the disk is full (" + reason + ")";
    if (err == EFBIG)
      return "the file is larger than allowed: a file-size limit (ulimit -f) or the file "
             "system's maximum (" +
             reason + ")";
    return reason;
  } catch (...) {
    return {};
  }
}

void throw_os_error(std::string_view verb, const std::filesystem::path &file, std::string_view what,
                    int err) {
  throw IoError(ErrorCode::Io,
                "cannot " + std::string(verb) + " '" + file.string() + "': " + std::string(what) +
                    (err != 0 ? ": " + os_reason(err) : std::string()),
                file.string());
}

} // namespace weightio::detail
