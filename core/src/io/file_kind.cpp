#include "io/file_kind.hpp"

#include <sys/stat.h>

namespace weightio::detail {

const char *file_kind(mode_t mode) noexcept {
  if (S_ISREG(mode))
    return "a regular file";
  if (S_ISDIR(mode))
    return "a folder";
  if (S_ISFIFO(mode))
    return "a FIFO (named pipe)";
  if (S_ISSOCK(mode))
    return "a socket";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISLNK(mode))
    return "a symlink";
  return "an unknown kind of file";
}

} // namespace weightio::detail
