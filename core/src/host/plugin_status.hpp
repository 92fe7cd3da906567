// The plugin ABI's statuses, both ways: a plugin's status and message become
// the core's exceptions, and an exception thrown inside a host callback
// becomes the status the plugin gets back. The only place either mapping is
// written.
#pragma once

#include "registry/plugin_library.hpp"

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace weightio::detail {

// Size of the error buffer handed to plugins.
inline constexpr size_t kPluginErrorSize = 4096;

// The limit a message phrased "... is over the limit N (<field>)" names:
// the word in its closing parentheses, or empty when it ends otherwise.
std::string limit_named_in(std::string_view message);

// Plugin -> host. Throws for a non-OK status. WIO_ERR_LIMIT becomes a
// FormatError (load) or UnsupportedError (save) whose limit() is the name
// the message ends with ("unnamed" when it names none). A host-side exception recorded
// during the call (a sink or callback failure) wins: it carries the real
// reason. `action` is "save" or "load".
[[noreturn]] void throw_plugin_status(int32_t status, const char *message,
                                      std::exception_ptr host_error, const std::string &file,
                                      const PluginLibrary &plugin, const char *action);

// Host -> plugin. The status a callback returns for the exception it caught:
// WIO_ERR_CANCELLED, WIO_ERR_IO or WIO_ERR_INVALID_FILE for an Error of that
// kind, WIO_ERR_INTERNAL for anything else. The plugin only passes it back;
// the caller keeps `e` and rethrows it (throw_plugin_status's host_error).
// Never throws.
int32_t status_for(const std::exception_ptr &e) noexcept;

} // namespace weightio::detail
