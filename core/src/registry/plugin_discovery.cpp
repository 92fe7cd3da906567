#include "registry/registry_state.hpp"

#include "support/log_internal.hpp"

#include <weightio/error.hpp>

#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cstdlib>

namespace weightio {

namespace fs = std::filesystem;

namespace detail {

namespace {
constexpr const char *kBundledSource = "default plugin folder";
} // namespace

Registry &Registry::instance() {
  static Registry *r = new Registry();
  return *r;
}

void Registry::add_path(const fs::path &p, bool throw_on_error) {
  std::lock_guard lock(mutex_);
  discover_locked();
  add_path_locked(p, throw_on_error, "added by the host");
}

std::vector<PluginInfo> Registry::loaded() {
  std::lock_guard lock(mutex_);
  discover_locked();
  std::vector<PluginInfo> out;
  for (auto &p : plugins_)
    out.push_back(p->info());
  return out;
}

std::vector<PluginFailure> Registry::failed() {
  std::lock_guard lock(mutex_);
  discover_locked();
  return failures_;
}

void Registry::discover_locked() {
  if (discovered_)
    return;
  discovered_ = true;
  // 1. Beside the library itself, so an installed or built tree works
  //    with no set-up.
  std::error_code ec;
  boost::dll::fs::error_code bec;
  fs::path self = boost::dll::this_line_location(bec).string();
  if (!bec && !self.empty()) {
    fs::path dir = self.parent_path() / "weightio" / "plugins";
    if (fs::is_directory(dir, ec))
      add_path_locked(dir, false, kBundledSource);
  }
  // 2. WEIGHTIO_PLUGIN_PATH. Relative entries would depend on the current
  //    directory, which is never searched.
  if (const char *env = std::getenv("WEIGHTIO_PLUGIN_PATH"); env != nullptr) {
    std::string all = env;
    size_t start = 0;
    while (start <= all.size()) {
      size_t end = all.find(':', start);
      if (end == std::string::npos)
        end = all.size();
      std::string entry = all.substr(start, end - start);
      start = end + 1;
      if (entry.empty()) {
        if (all.size() > 0)
          log()->warn("WEIGHTIO_PLUGIN_PATH has an empty entry; ignored (the current "
                      "directory is never searched)");
        continue;
      }
      if (!fs::path(entry).is_absolute()) {
        log()->warn("WEIGHTIO_PLUGIN_PATH entry '{}' is relative; ignored (use absolute paths)",
                    entry);
        continue;
      }
      add_path_locked(entry, false, "WEIGHTIO_PLUGIN_PATH");
    }
  }
}

void Registry::add_path_locked(const fs::path &p, bool throw_on_error, const char *source) {
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    std::vector<fs::path> files;
    // The error_code overloads: a folder that vanishes or can't be read
    // mid-scan ends the scan instead of throwing out of discovery.
    for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string n = it->path().filename().string();
      if (n.rfind("weightio_", 0) == 0 && it->path().extension() == ".so")
        files.push_back(it->path());
    }
    if (ec)
      log()->warn("plugin folder '{}' could not be read: {}", p.string(), ec.message());
    std::sort(files.begin(), files.end());
    for (auto &f : files)
      load_file_locked(f, throw_on_error, source == kBundledSource);
    return;
  }
  if (!fs::exists(p, ec)) {
    std::string why = std::string("no such plugin file or folder (from ") + source + ")";
    log()->warn("plugin path '{}': {}", p.string(), why);
    if (throw_on_error)
      throw PluginError(ErrorCode::Plugin, "plugin '" + p.string() + "': " + why, p.string());
    return;
  }
  load_file_locked(p, throw_on_error, false);
}

void Registry::load_file_locked(const fs::path &file, bool throw_on_error, bool bundled) {
  std::error_code ec;
  fs::path canonical = fs::canonical(file, ec);
  if (ec)
    canonical = file;
  if (!seen_.insert(canonical).second)
    return; // the same file reached twice is loaded once
  try {
    plugins_.push_back(PluginLibrary::load(canonical, bundled));
  } catch (const PluginLoadError &e) {
    // Info, not warn: a process that never uses this format should stay
    // quiet; the reason is in failed_plugins() and in the error raised when
    // the format is asked for.
    log()->info("{}", e.what());
    failures_.push_back({canonical, e.reason()});
    if (throw_on_error)
      throw;
  }
}

} // namespace detail

std::vector<PluginInfo> loaded_plugins() {
  return detail::Registry::instance().loaded();
}

std::vector<PluginFailure> failed_plugins() {
  return detail::Registry::instance().failed();
}

void add_plugin_path(const fs::path &p, bool throw_on_error) {
  detail::Registry::instance().add_path(p, throw_on_error);
}

} // namespace weightio
