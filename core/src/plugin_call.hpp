// Turning a plugin's status + message into the core's exceptions, with the
// file and the plugin's path in the text.
#pragma once

#include "plugin_library.hpp"

#include <weightio/error.hpp>

#include <cstdint>
#include <exception>
#include <string>

namespace weightio::detail {

// Size of the error buffer handed to plugins.
inline constexpr size_t kPluginErrorSize = 4096;

// Throws for a non-OK status. A host-side exception recorded during the call
// (a sink or callback failure) wins: it carries the real reason. `action` is
// "save" or "load".
[[noreturn]] void throw_plugin_status(int32_t status, const char *message,
                                      std::exception_ptr host_error, const std::string &file,
                                      const PluginLibrary &plugin, const char *action);

} // namespace weightio::detail
