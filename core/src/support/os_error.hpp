// One shape for the messages of the OS's refusals, for every file the core
// opens, maps, writes or renames: "cannot <verb> '<file>': <what>: <reason>".
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace weightio::detail {

// strerror(err), with the causes a user can act on spelled out: a full disk
// or quota, a file-size limit. Never throws.
std::string os_reason(int err) noexcept;

// Throws IoError(ErrorCode::Io) naming `file`, e.g. verb "save", what
// "write failed". With err 0 (no OS call failed, e.g. "the index is not a
// regular file") the message ends at `what`.
[[noreturn]] void throw_os_error(std::string_view verb, const std::filesystem::path &file,
                                 std::string_view what, int err = 0);

} // namespace weightio::detail
