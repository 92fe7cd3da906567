// ZIP member names without the UTF-8 flag are code page 437 (APPNOTE
// appendix D); Python's zipfile, and so numpy.load, decodes them that way.
#pragma once

#include <string>
#include <string_view>

namespace weightio::zip {

std::string cp437_to_utf8(std::string_view bytes);

} // namespace weightio::zip
