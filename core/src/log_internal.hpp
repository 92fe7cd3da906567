// Internal logging shorthand: weightio::log().warn(...).
#pragma once

#include <weightio/log.hpp>

#include <spdlog/logger.h>

namespace weightio {
inline spdlog::logger &log() {
  return *logger();
}
} // namespace weightio
