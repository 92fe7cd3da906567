// The one phrasing of a limit in weightio's messages, the same as the SDK's
// sdk::over_limit gives plugins: "<what> <value> is over the limit <limit>
// (<field>)", `field` being the name Error::limit() reports.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::detail {

inline std::string over_limit_text(std::string_view what, uint64_t value, uint64_t limit,
                                   std::string_view field) {
  return std::string(what) + " " + std::to_string(value) + " is over the limit " +
         std::to_string(limit) + " (" + std::string(field) + ")";
}

} // namespace weightio::detail
