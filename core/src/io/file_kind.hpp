// Names the kind of a file system object for messages ("a FIFO (named
// pipe)"), so that a refusal says what the path really is.
#pragma once

#include <sys/types.h>

namespace weightio::detail {

// "a regular file", "a folder", "a FIFO (named pipe)", "a socket",
// "a character device", "a block device", "a symlink", or "an unknown kind of
// file". Never null; the text is static.
const char *file_kind(mode_t mode) noexcept;

} // namespace weightio::detail
