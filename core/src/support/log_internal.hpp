// Internal logging shorthand: weightio::log()->warn(...). Returns the
// shared_ptr itself so the logger lives for the whole statement even if the
// host calls set_logger() meanwhile.
#pragma once

#include <weightio/log.hpp>

#include <spdlog/logger.h>

namespace weightio {
inline std::shared_ptr<spdlog::logger> log() {
  return logger();
}
} // namespace weightio
