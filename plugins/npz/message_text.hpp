// Pieces of the npz plugin's error messages that come from the file or the
// caller: names and counts. The host receives a message as a NUL-terminated
// C string, so a NUL inside a name would cut the message short; a control
// character would reach a terminal raw. Kept free of the SDK so the lead can
// move it there unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::npz {

// `name` with NUL, other C0 controls and DEL escaped as \n, \r, \t or \xNN
// (everything else, including UTF-8, kept), so the text never contains a
// NUL. Names longer than 256 bytes are cut at a character boundary and
// end in "... (N bytes)", so one name cannot fill the host's error buffer.
std::string escaped_name(std::string_view name);

// escaped_name between single quotes: how messages show a member or tensor.
std::string quoted_name(std::string_view name);

// "1 member", "2 members", "0 members": the noun agrees with the count.
// `plural` defaults to `singular` + "s".
std::string count_of(uint64_t n, std::string_view singular, std::string_view plural = {});

} // namespace weightio::npz
