// Logging. weightio logs through its own spdlog logger named "weightio" (never
// the host's default logger). It is quiet by default (warnings and errors
// only); WEIGHTIO_LOG_LEVEL (trace, debug, info, warn, error, off) sets the
// level at first use.
#pragma once

#include <memory>

namespace spdlog {
class logger;
}

namespace weightio {

// The logger weightio uses (created on first call).
std::shared_ptr<spdlog::logger> logger();
// Replaces it with the host's own (e.g. one with the host's sinks). A null
// pointer restores the default.
void set_logger(std::shared_ptr<spdlog::logger> logger);

} // namespace weightio
