// The process's plugin registry, shared by its two halves: discovery
// (plugin_discovery.cpp: which plugin files are loaded, which failed) and
// resolution (format_resolution.cpp: which loaded format a name, an
// extension or a file's first bytes pick). Internal to those two files.
#pragma once

#include "registry/registry_internal.hpp"

#include <weightio/registry.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace weightio::detail {

class Registry {
public:
  // Never destroyed: plugins stay loaded until the process exits, so a
  // tensor that outlives static destruction still has its library.
  static Registry &instance();

  // Discovery. Each public function first discovers the default plugin
  // folder and WEIGHTIO_PLUGIN_PATH, once per process.
  void add_path(const std::filesystem::path &p, bool throw_on_error);
  std::vector<PluginInfo> loaded();
  std::vector<PluginFailure> failed();

  // Resolution.
  void prefer(const std::string &ext_or_format, const std::string &who);
  ResolvedFormat by_name(const std::string &name, const std::string &file, Need need);
  // Every (plugin, format) whose extension ends the file name, longest match.
  ResolvedFormat by_extension(const std::filesystem::path &path, bool allow_unknown, Need need);
  ResolvedFormat probe(const uint8_t *head, size_t size, const std::string &file);
  bool content_decides(const std::filesystem::path &path);
  std::vector<std::string> recognising(const uint8_t *head, size_t size);
  std::string known(const std::filesystem::path &path);

private:
  Registry() = default;

  // Discovery; the caller holds mutex_.
  void discover_locked();
  void add_path_locked(const std::filesystem::path &p, bool throw_on_error, const char *source);
  void load_file_locked(const std::filesystem::path &file, bool throw_on_error, bool bundled);

  // Resolution; the caller holds mutex_.
  ResolvedFormat pick_locked(std::vector<ResolvedFormat> matches,
                             const std::vector<std::string> &keys, Need need,
                             const std::string &what, const std::string &file);
  std::string known_locked() const;
  std::string failures_locked(const std::string &hint) const;

  std::mutex mutex_;
  bool discovered_ = false;
  std::vector<std::shared_ptr<PluginLibrary>> plugins_;
  std::vector<PluginFailure> failures_;
  std::set<std::filesystem::path> seen_;
  // prefer_plugin(): lowercased extension or format name -> plugin path.
  std::map<std::string, std::filesystem::path> preferred_;
};

} // namespace weightio::detail
