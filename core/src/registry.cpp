#include "registry_internal.hpp"

#include "log_internal.hpp"

#include <weightio/error.hpp>
#include <weightio/registry.hpp>

#include <boost/dll/runtime_symbol_info.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>

namespace weightio {

namespace fs = std::filesystem;
using detail::LoadedFormat;
using detail::PluginLibrary;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

class Registry {
public:
  static Registry &instance() {
    // Never destroyed: plugins stay loaded until the process exits, so a
    // tensor that outlives static destruction still has its library.
    static Registry *r = new Registry();
    return *r;
  }

  void add_path(const fs::path &p, bool throw_on_error) {
    std::lock_guard lock(mutex_);
    discover_locked();
    add_path_locked(p, throw_on_error, "added by the host");
  }

  std::vector<PluginInfo> loaded() {
    std::lock_guard lock(mutex_);
    discover_locked();
    std::vector<PluginInfo> out;
    for (auto &p : plugins_)
      out.push_back(p->info());
    return out;
  }

  std::vector<PluginFailure> failed() {
    std::lock_guard lock(mutex_);
    discover_locked();
    return failures_;
  }

  void prefer(const std::string &ext_or_format, const std::string &who) {
    std::lock_guard lock(mutex_);
    discover_locked();
    std::error_code ec;
    fs::path who_path = fs::canonical(who, ec);
    for (auto &p : plugins_)
      if (p->info().name == who || (!ec && p->path() == who_path)) {
        preferred_[lower(ext_or_format)] = p->path();
        return;
      }
    throw PluginError(ErrorCode::Plugin, "prefer_plugin: no loaded plugin is named '" + who + "'");
  }

  detail::ResolvedFormat by_name(const std::string &name, const std::string &file,
                                 detail::Need need) {
    std::lock_guard lock(mutex_);
    discover_locked();
    std::vector<detail::ResolvedFormat> matches;
    for (auto &p : plugins_)
      for (auto &f : p->formats())
        if (f.info.name == name)
          matches.push_back({p, &f});
    if (!matches.empty())
      return pick_locked(matches, {lower(name)}, need, "the format name '" + name + "'", file);
    throw PluginError(ErrorCode::UnknownFormat,
                      prefix(file) + "no plugin provides the format '" + name + "'" +
                          known_locked() + failures_locked(name),
                      file);
  }

  // Every (plugin, format) whose extension ends `filename`, longest match.
  detail::ResolvedFormat by_extension(const fs::path &path, bool allow_unknown, detail::Need need) {
    std::lock_guard lock(mutex_);
    discover_locked();
    const std::string fname = lower(path.filename().string());
    std::vector<detail::ResolvedFormat> matches;
    size_t best = 0;
    std::string best_ext;
    for (auto &p : plugins_)
      for (auto &f : p->formats())
        for (auto &ext : f.info.extensions) {
          const std::string suffix = "." + ext;
          if (fname.size() < suffix.size() ||
              fname.compare(fname.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
          if (ext.size() > best) {
            matches.clear();
            best = ext.size();
            best_ext = ext;
          }
          if (ext.size() == best)
            matches.push_back({p, &f});
        }
    if (matches.empty()) {
      if (allow_unknown)
        return {};
      const std::string ext = path.extension().string();
      throw PluginError(ErrorCode::UnknownFormat,
                        prefix(path.string()) +
                            (ext.empty() ? std::string("the file name has no extension")
                                         : "no plugin handles the extension '" + ext + "'") +
                            known_locked() +
                            failures_locked(lower(ext.empty() ? "" : ext.substr(1))),
                        path.string());
    }
    return pick_locked(matches, {best_ext}, need, "the extension '." + best_ext + "'",
                       path.string());
  }

  // One of several candidates. Those that can do what is needed come first
  // (a read-only and a write-only plugin for one extension don't conflict).
  // Several formats of one plugin are the plugin's business (first wins);
  // two plugins need the host to choose (prefer_plugin with one of `keys`).
  detail::ResolvedFormat pick_locked(std::vector<detail::ResolvedFormat> matches,
                                     const std::vector<std::string> &keys, detail::Need need,
                                     const std::string &what, const std::string &file) {
    auto able = [need](const detail::ResolvedFormat &m) {
      return need == detail::Need::Any ||
             (need == detail::Need::Read ? m.format->info.can_read : m.format->info.can_write);
    };
    if (std::any_of(matches.begin(), matches.end(), able))
      std::erase_if(matches, [&](const detail::ResolvedFormat &m) { return !able(m); });
    std::set<fs::path> owners;
    for (auto &m : matches)
      owners.insert(m.plugin->path());
    if (owners.size() > 1) {
      for (auto &key : keys)
        if (auto it = preferred_.find(key); it != preferred_.end())
          for (auto &m : matches)
            if (m.plugin->path() == it->second)
              return m;
      std::string names;
      for (auto &o : owners)
        names += (names.empty() ? "'" : " and '") + o.string() + "'";
      throw PluginError(ErrorCode::Plugin,
                        prefix(file) + what + " is claimed by two plugins, " + names +
                            "; choose one with weightio::prefer_plugin() (CLI: --plugin NAME)",
                        file);
    }
    return matches.front();
  }

  // The readers that recognise `head`. When plugins disagree it is a
  // conflict, as for an extension, which a preference for any of their
  // formats' names or extensions settles.
  detail::ResolvedFormat probe(const uint8_t *head, size_t size, const std::string &file) {
    std::lock_guard lock(mutex_);
    discover_locked();
    std::vector<detail::ResolvedFormat> yes;
    std::vector<std::string> keys;
    for (auto &p : plugins_)
      for (auto &f : p->formats())
        if (f.info.can_read &&
            f.c->probe(head, std::min<size_t>(size, f.info.probe_bytes)) == WIO_PROBE_YES) {
          yes.push_back({p, &f});
          keys.push_back(lower(f.info.name));
          keys.insert(keys.end(), f.info.extensions.begin(), f.info.extensions.end());
        }
    if (yes.empty())
      return {};
    return pick_locked(yes, keys, detail::Need::Read, "its content (the extension is unknown)",
                       file);
  }

  std::vector<std::string> recognising(const uint8_t *head, size_t size) {
    std::lock_guard lock(mutex_);
    discover_locked();
    std::vector<std::string> out;
    for (auto &p : plugins_)
      for (auto &f : p->formats())
        if (f.info.can_read &&
            f.c->probe(head, std::min<size_t>(size, f.info.probe_bytes)) == WIO_PROBE_YES)
          out.push_back(f.info.name);
    return out;
  }

  std::string known(const fs::path &path) {
    std::lock_guard lock(mutex_);
    discover_locked();
    const std::string ext = path.extension().string();
    return known_locked() + failures_locked(lower(ext.empty() ? "" : ext.substr(1)));
  }

private:
  static std::string prefix(const std::string &file) {
    return file.empty() ? std::string() : "'" + file + "': ";
  }

  std::string known_locked() const {
    std::string list;
    for (auto &p : plugins_)
      for (auto &f : p->formats())
        for (auto &e : f.info.extensions)
          list += (list.empty() ? "" : ", ") + ("." + e);
    return list.empty() ? " (no format plugins are loaded)" : " (known: " + list + ")";
  }

  // Failed plugins, the one whose file name matches `hint` first: it is most
  // likely the reason the format is missing.
  std::string failures_locked(const std::string &hint) const {
    std::string out;
    for (auto &f : failures_) {
      const bool likely = !hint.empty() && f.path.filename().string() == "weightio_" + hint + ".so";
      std::string line = "; plugin '" + f.path.string() + "' failed to load: " + f.error;
      out = likely ? line + out : out + line;
    }
    return out;
  }

  void discover_locked() {
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

  static constexpr const char *kBundledSource = "default plugin folder";

  void add_path_locked(const fs::path &p, bool throw_on_error, const char *source) {
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

  void load_file_locked(const fs::path &file, bool throw_on_error, bool bundled) {
    std::error_code ec;
    fs::path canonical = fs::canonical(file, ec);
    if (ec)
      canonical = file;
    if (!seen_.insert(canonical).second)
      return; // the same file reached twice is loaded once
    try {
      plugins_.push_back(PluginLibrary::load(canonical, bundled));
    } catch (const Error &e) {
      // Info, not warn: a process that never uses this format should stay
      // quiet; the reason is in failed_plugins() and in the error raised when
      // the format is asked for.
      log()->info("{}", e.what());
      std::string why = e.what();
      const std::string head = "plugin '" + canonical.string() + "': ";
      if (why.rfind(head, 0) == 0)
        why = why.substr(head.size());
      failures_.push_back({canonical, why});
      if (throw_on_error)
        throw;
    }
  }

  std::mutex mutex_;
  bool discovered_ = false;
  std::vector<std::shared_ptr<PluginLibrary>> plugins_;
  std::vector<PluginFailure> failures_;
  std::set<fs::path> seen_;
  std::map<std::string, fs::path> preferred_;
};

} // namespace

namespace detail {

ResolvedFormat resolve_format(const fs::path &path, const std::string &format_name, Need need,
                              bool allow_unknown) {
  auto &reg = Registry::instance();
  ResolvedFormat r = format_name.empty() ? reg.by_extension(path, allow_unknown, need)
                                         : reg.by_name(format_name, path.string(), need);
  if (r.format == nullptr)
    return r;
  const bool ok = need == Need::Read ? r.format->info.can_read : r.format->info.can_write;
  if (!ok)
    throw UnsupportedError(ErrorCode::UnsupportedOption,
                           "'" + path.string() + "': the " + r.format->info.name +
                               " format cannot " + (need == Need::Read ? "read" : "write") +
                               " files " + r.plugin->label(),
                           path.string());
  return r;
}

std::vector<std::string> formats_recognising(const uint8_t *head, size_t size) {
  return Registry::instance().recognising(head, size);
}

ResolvedFormat probe_format(const uint8_t *head, size_t size, const std::string &file) {
  return Registry::instance().probe(head, size, file);
}

std::string known_extensions(const fs::path &path) {
  return Registry::instance().known(path);
}

} // namespace detail

std::vector<PluginInfo> loaded_plugins() {
  return Registry::instance().loaded();
}
std::vector<PluginFailure> failed_plugins() {
  return Registry::instance().failed();
}

void add_plugin_path(const fs::path &p, bool throw_on_error) {
  Registry::instance().add_path(p, throw_on_error);
}

void prefer_plugin(const std::string &extension, const std::string &who) {
  std::string ext = extension;
  if (!ext.empty() && ext[0] == '.')
    ext = ext.substr(1);
  Registry::instance().prefer(ext, who);
}

FormatInfo format_for_extension(const std::string &extension) {
  std::string ext = extension;
  if (!ext.empty() && ext[0] == '.')
    ext = ext.substr(1);
  return Registry::instance().by_extension("file." + ext, false, detail::Need::Any).format->info;
}

FormatInfo format_by_name(const std::string &name) {
  return Registry::instance().by_name(name, "", detail::Need::Any).format->info;
}

fs::path plugin_path_for_format(const std::string &name) {
  return Registry::instance().by_name(name, "", detail::Need::Any).plugin->path();
}

} // namespace weightio
