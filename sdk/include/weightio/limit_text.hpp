// How "over a limit" is worded in every weightio message, the core's and
// every plugin's: "<what> <value> is over the limit <limit> (<field>)".
// `field` is the name a host reads back from Error::limit(): a
// wio_read_limits or wio_write_limits field ("max_tensors"), or a name of a
// format's own. Header-only (C++17 or later), independent of the plugin ABI.
#ifndef WEIGHTIO_LIMIT_TEXT_HPP
#define WEIGHTIO_LIMIT_TEXT_HPP

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::sdk {

inline std::string over_limit_text(std::string_view what, uint64_t value, uint64_t limit,
                                   std::string_view field) {
  return std::string(what) + " " + std::to_string(value) + " is over the limit " +
         std::to_string(limit) + " (" + std::string(field) + ")";
}

} // namespace weightio::sdk

#endif
