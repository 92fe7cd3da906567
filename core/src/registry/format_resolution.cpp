#include "registry/registry_state.hpp"

#include <weightio/error.hpp>
#include <weightio/quoted.hpp>

#include <algorithm>
#include <cctype>

namespace weightio {

namespace fs = std::filesystem;

namespace detail {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string prefix(const std::string &file) {
  return file.empty() ? std::string() : "'" + file + "': ";
}

} // namespace

void Registry::prefer(const std::string &ext_or_format, const std::string &who) {
  std::lock_guard lock(mutex_);
  discover_locked();
  std::error_code ec;
  fs::path who_path = fs::canonical(who, ec);
  for (auto &p : plugins_)
    if (p->info().name == who || (!ec && p->path() == who_path)) {
      preferred_[lower(ext_or_format)] = p->path();
      return;
    }
  throw PluginError(ErrorCode::Plugin,
                    "prefer_plugin: no loaded plugin is named " + sdk::quoted(who));
}

ResolvedFormat Registry::by_name(const std::string &name, const std::string &file, Need need) {
  std::lock_guard lock(mutex_);
  discover_locked();
  std::vector<ResolvedFormat> matches;
  for (auto &p : plugins_)
    for (auto &f : p->formats())
      if (f.info.name == name)
        matches.push_back({p, &f});
  if (!matches.empty())
    return pick_locked(matches, {lower(name)}, need, "the format name " + sdk::quoted(name), file);
  throw PluginError(ErrorCode::UnknownFormat,
                    prefix(file) + "no plugin provides the format " + sdk::quoted(name) +
                        known_locked() + failures_locked(name),
                    file);
}

ResolvedFormat Registry::by_extension(const fs::path &path, bool allow_unknown, Need need) {
  std::lock_guard lock(mutex_);
  discover_locked();
  const std::string fname = lower(path.filename().string());
  std::vector<ResolvedFormat> matches;
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
                                       : "no plugin handles the extension " + sdk::quoted(ext)) +
                          known_locked() + failures_locked(lower(ext.empty() ? "" : ext.substr(1))),
                      path.string());
  }
  return pick_locked(matches, {best_ext}, need, "the extension " + sdk::quoted("." + best_ext),
                     path.string());
}

// One of several candidates. Those that can do what is needed come first
// (a read-only and a write-only plugin for one extension don't conflict).
// Several formats of one plugin are the plugin's business (first wins);
// two plugins need the host to choose (prefer_plugin with one of `keys`).
ResolvedFormat Registry::pick_locked(std::vector<ResolvedFormat> matches,
                                     const std::vector<std::string> &keys, Need need,
                                     const std::string &what, const std::string &file) {
  auto able = [need](const ResolvedFormat &m) {
    return need == Need::Any ||
           (need == Need::Read ? m.format->info.can_read : m.format->info.can_write);
  };
  if (std::any_of(matches.begin(), matches.end(), able))
    std::erase_if(matches, [&](const ResolvedFormat &m) { return !able(m); });
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
ResolvedFormat Registry::probe(const uint8_t *head, size_t size, const std::string &file) {
  std::lock_guard lock(mutex_);
  discover_locked();
  std::vector<ResolvedFormat> yes;
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
  return pick_locked(yes, keys, Need::Read, "its content (the extension is unknown)", file);
}

bool Registry::content_decides(const fs::path &path) {
  std::lock_guard lock(mutex_);
  discover_locked();
  const std::string fname = lower(path.filename().string());
  for (auto &p : plugins_)
    for (auto &f : p->formats())
      for (auto &ext : f.info.shared_extensions)
        if (f.info.can_read && fname.size() > ext.size() + 1 &&
            fname.compare(fname.size() - ext.size() - 1, ext.size() + 1, "." + ext) == 0)
          return true;
  return false;
}

std::vector<std::string> Registry::recognising(const uint8_t *head, size_t size) {
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

std::string Registry::known(const fs::path &path) {
  std::lock_guard lock(mutex_);
  discover_locked();
  const std::string ext = path.extension().string();
  return known_locked() + failures_locked(lower(ext.empty() ? "" : ext.substr(1)));
}

std::string Registry::known_locked() const {
  std::string list;
  for (auto &p : plugins_)
    for (auto &f : p->formats())
      for (auto &e : f.info.extensions)
        list += (list.empty() ? "" : ", ") + ("." + e);
  return list.empty() ? " (no format plugins are loaded)" : " (known: " + list + ")";
}

// Failed plugins, the one whose file name matches `hint` first: it is most
// likely the reason the format is missing.
std::string Registry::failures_locked(const std::string &hint) const {
  std::string out;
  for (auto &f : failures_) {
    const bool likely = !hint.empty() && f.path.filename().string() == "weightio_" + hint + ".so";
    std::string line = "; plugin '" + f.path.string() + "' failed to load: " + f.error;
    out = likely ? line + out : out + line;
  }
  return out;
}

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

bool content_decides(const fs::path &path) {
  return Registry::instance().content_decides(path);
}

std::string known_extensions(const fs::path &path) {
  return Registry::instance().known(path);
}

} // namespace detail

void prefer_plugin(const std::string &extension, const std::string &who) {
  std::string ext = extension;
  if (!ext.empty() && ext[0] == '.')
    ext = ext.substr(1);
  detail::Registry::instance().prefer(ext, who);
}

FormatInfo format_for_extension(const std::string &extension) {
  std::string ext = extension;
  if (!ext.empty() && ext[0] == '.')
    ext = ext.substr(1);
  return detail::Registry::instance()
      .by_extension("file." + ext, false, detail::Need::Any)
      .format->info;
}

FormatInfo format_by_name(const std::string &name) {
  return detail::Registry::instance().by_name(name, "", detail::Need::Any).format->info;
}

fs::path plugin_path_for_format(const std::string &name) {
  return detail::Registry::instance().by_name(name, "", detail::Need::Any).plugin->path();
}

} // namespace weightio
