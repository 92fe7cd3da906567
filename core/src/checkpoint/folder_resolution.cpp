#include "checkpoint/folder_resolution.hpp"

#include <weightio/quoted.hpp>

#include "checkpoint/checkpoint_name.hpp"
#include "checkpoint/commit_record.hpp"
#include "registry/registry_internal.hpp"
#include "support/os_error.hpp"

#include <weightio/error.hpp>
#include <weightio/registry.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

} // namespace

std::string quoted_list(const std::vector<std::string> &names) {
  std::string s;
  for (const auto &n : names)
    s += (s.empty() ? "" : ", ") + sdk::quoted(n);
  return s;
}

namespace {

// The extensions ("npz", "safetensors") of formats that can be read.
std::vector<std::string> readable_extensions() {
  std::vector<std::string> out;
  for (const auto &p : loaded_plugins())
    for (const auto &f : p.formats)
      if (f.can_read)
        out.insert(out.end(), f.extensions.begin(), f.extensions.end());
  return out;
}

bool is_weights_name(const std::string &name, const std::vector<std::string> &extensions) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto &e : extensions)
    if (ends_with(lower, "." + e) && lower.size() > e.size() + 1)
      return true;
  return false;
}

} // namespace

// Whether the format that reads `path` (or `format`) keeps its sets' layout
// in the shards' split keys, with no index.
bool self_described_format(const fs::path &path, const std::string &format) {
  try {
    const ResolvedFormat f = resolve_format(path, format, Need::Read, true);
    return f.format != nullptr && f.format->info.split_keys;
  } catch (const Error &) {
    return false; // the load itself reports it
  }
}

// N of a shard name `base-0000i-of-0000N.ext` (0 if it has none).
size_t shard_count(const std::string &file) {
  const size_t of = file.rfind("-of-");
  return of == std::string::npos
             ? 0
             : static_cast<size_t>(std::strtoull(file.c_str() + of + 4, nullptr, 10));
}

namespace {

// Several weights files that are exactly the shards of one self-described
// set (every name `base-0000i-of-0000N.ext` with one base and one N): its
// first shard; nullopt otherwise. `names` is sorted.
std::optional<std::string> one_self_described_set(const fs::path &dir,
                                                  const std::vector<std::string> &names) {
  const auto first = CheckpointName::from_shard_path(dir / names.front());
  if (!first || !self_described_format(dir / names.front(), ""))
    return std::nullopt;
  const size_t n = shard_count(names.front());
  for (const auto &name : names)
    if (!first->is_shard_name(name) || shard_count(name) != n)
      return std::nullopt;
  return names.front();
}

} // namespace

// A folder's checkpoint: its one index (counting one an interrupted save is
// about to create), else its one weights file, else its one self-described
// shard set.
fs::path resolve_folder(const fs::path &dir) {
  std::vector<std::string> indexes, weights, pending_sets;
  const auto extensions = readable_extensions();
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec)
    throw_os_error("load", dir, "cannot list the folder", ec.value());
  for (const auto &e : it) {
    const std::string name = e.path().filename().string();
    if (name[0] == '.') {
      // .model.safetensors.weightio-commit of an interrupted sharded save
      constexpr std::string_view suffix = ".weightio-commit";
      if (ends_with(name, suffix) && name.size() > suffix.size() + 1) {
        const auto stem = CheckpointName::from_weights_path(
            dir / name.substr(1, name.size() - 1 - suffix.size()));
        if (auto r = read_trusted_record(stem); r && r->entry == stem.index())
          indexes.push_back(stem.index());
        else if (r)
          pending_sets.push_back(r->entry); // the single file or a set's first shard
      }
      continue;
    }
    if (!e.is_regular_file(ec))
      continue;
    if (ends_with(name, ".index.json"))
      indexes.push_back(name);
    else if (is_weights_name(name, extensions))
      weights.push_back(name);
  }
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  std::sort(weights.begin(), weights.end());
  if (indexes.size() == 1)
    return dir / indexes[0];
  if (indexes.size() > 1)
    throw_os_error("load", dir,
                   "the folder holds several checkpoint indexes (" + quoted_list(indexes) +
                       "); name the one to load");
  if (pending_sets.size() == 1)
    return dir / pending_sets[0]; // a complete new set, about to replace the files seen
  if (weights.size() == 1)
    return dir / weights[0];
  if (weights.size() > 1)
    if (auto first = one_self_described_set(dir, weights))
      return dir / *first;
  if (weights.empty())
    throw_os_error("load", dir, "the folder holds no *.index.json and no weights file", ENOENT);
  throw_os_error("load", dir,
                 "the folder holds no *.index.json and several weights files (" +
                     quoted_list(weights) + "); name the one to load");
}

} // namespace weightio::detail
