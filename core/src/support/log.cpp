#include "support/log_internal.hpp"

#include <weightio/log.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <mutex>
#include <string>

namespace weightio {

namespace {
std::mutex g_mutex;
std::shared_ptr<spdlog::logger> g_logger;

std::shared_ptr<spdlog::logger> make_default() {
  // Not registered in spdlog's global registry: the host's own loggers and
  // its default logger stay untouched.
  auto l = std::make_shared<spdlog::logger>(
      "weightio", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  l->set_pattern("[%n] [%l] %v");
  l->set_level(spdlog::level::warn);
  if (const char *env = std::getenv("WEIGHTIO_LOG_LEVEL"); env && *env) {
    const std::string name = env;
    const auto level = spdlog::level::from_str(name);
    // from_str answers "off" for anything it does not know ("WARN", "warning").
    if (level == spdlog::level::off && name != "off")
      l->warn("WEIGHTIO_LOG_LEVEL='{}' is not one of trace, debug, info, warn, error, "
              "critical, off; using warn",
              name);
    else
      l->set_level(level);
  }
  return l;
}
} // namespace

std::shared_ptr<spdlog::logger> logger() {
  std::lock_guard lock(g_mutex);
  if (!g_logger)
    g_logger = make_default();
  return g_logger;
}

void set_logger(std::shared_ptr<spdlog::logger> l) {
  std::lock_guard lock(g_mutex);
  g_logger = std::move(l);
}

} // namespace weightio
