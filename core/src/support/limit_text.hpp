// The core words its limits with the SDK's one function, so a limit reads
// the same whether the host or a plugin found it.
#pragma once

#include <weightio/limit_text.hpp>

namespace weightio::detail {

using sdk::over_limit_text;

} // namespace weightio::detail
