// Counts in messages, shared by the bundled plugins (the ZIP container and
// npz): "1 member", "2 members", "0 members", the noun agreeing with the
// count. Names in messages go through sdk::quoted() instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::common {

// `plural` defaults to `singular` + "s".
inline std::string count_of(uint64_t n, std::string_view singular, std::string_view plural = {}) {
  std::string out = std::to_string(n) + " ";
  if (n == 1)
    out += singular;
  else if (plural.empty())
    out.append(singular).push_back('s');
  else
    out += plural;
  return out;
}

} // namespace weightio::common
