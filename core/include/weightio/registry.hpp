// The plugin registry: which format plugins are loaded, from where, and which
// failed. Discovery runs once, on first use, in this order: the plugin folder
// next to libweightio (<libdir>/weightio/plugins), then WEIGHTIO_PLUGIN_PATH
// (colon-separated absolute folders or files), then what the host adds here.
// The current directory is never searched.
#pragma once

#include <weightio/dtype.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace weightio {

struct FormatInfo {
  std::string name;
  std::string description;
  std::vector<std::string> extensions; // lowercase, without the dot
  bool can_read = false;
  bool can_write = false;
  bool metadata = false;
  bool compression = false;
  std::vector<DType> write_dtypes;
};

struct PluginInfo {
  std::string name;
  std::string version;
  std::filesystem::path path;
  uint32_t abi_version = 0;
  std::vector<FormatInfo> formats;
};

struct PluginFailure {
  std::filesystem::path path;
  std::string error;
};

// Loaded plugins in discovery order.
std::vector<PluginInfo> loaded_plugins();
// Plugin files that were found but could not be used, with the reason.
std::vector<PluginFailure> failed_plugins();

// Loads a plugin file, or every weightio_*.so in a folder, now. Thread-safe.
// A file already loaded (same canonical path) is not loaded again. Failures
// are recorded (failed_plugins) and logged, not thrown, unless `throw_on_error`.
void add_plugin_path(const std::filesystem::path &file_or_folder, bool throw_on_error = false);

// Picks the plugin (by file path or plugin name) that serves an extension
// ("npz" or ".npz") or a format name when several plugins claim it; also
// when several recognise the first bytes of a file whose extension is
// unknown (the preference for any of a format's extensions or its name
// counts). Throws PluginError when no loaded plugin matches.
void prefer_plugin(const std::string &extension_or_format, const std::string &plugin_name_or_path);

// The format that would serve a path's extension or a format name; throws
// PluginError (unknown, or claimed by two plugins) listing the known ones.
FormatInfo format_for_extension(const std::string &extension);
FormatInfo format_by_name(const std::string &name);
// Plugin file path serving a format name.
std::filesystem::path plugin_path_for_format(const std::string &name);

} // namespace weightio
