// One loaded plugin shared object: the Boost.DLL handle, its checked
// descriptor, and what `weightio plugins` shows about it.
#pragma once

#include <weightio/error.hpp>
#include <weightio/plugin_abi.h>
#include <weightio/registry.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace weightio::detail {

// Checks everything the host can check about a descriptor before using it
// (sizes, ABI version, non-null functions, extension strings). Returns an
// empty string when it is usable, else the reason. Pure: no I/O.
std::string check_descriptor(const wio_plugin *plugin);

// What PluginLibrary::load throws: the message names the file ("plugin
// '<file>': <reason>"); the reason alone is kept for failed_plugins().
class PluginLoadError : public PluginError {
public:
  PluginLoadError(const std::filesystem::path &file, std::string reason);
  const std::string &reason() const noexcept { return reason_; }

private:
  std::string reason_;
};

struct LoadedFormat {
  const wio_format *c = nullptr;
  FormatInfo info;
};

class PluginLibrary {
public:
  // Loads (RTLD_NOW | RTLD_LOCAL) and checks. Throws PluginLoadError naming
  // the file and the reason. Callers serialise calls (the registry's mutex).
  static std::shared_ptr<PluginLibrary> load(const std::filesystem::path &file,
                                             bool bundled = false);
  // Calls the plugin's shutdown, then unloads: only once nothing it produced
  // is alive (tensors hold a shared_ptr to the library).
  ~PluginLibrary();

  const PluginInfo &info() const noexcept { return info_; }
  const std::filesystem::path &path() const noexcept { return info_.path; }
  const std::vector<LoadedFormat> &formats() const noexcept { return formats_; }
  // How messages name it: "[npz plugin 1.0.0]", with its path for plugins
  // from outside the bundled folder or at debug log level.
  std::string label() const;

private:
  PluginLibrary() = default;
  std::unique_ptr<boost::dll::shared_library> lib_;
  const wio_plugin *c_ = nullptr;
  PluginInfo info_;
  std::vector<LoadedFormat> formats_;
};

} // namespace weightio::detail
