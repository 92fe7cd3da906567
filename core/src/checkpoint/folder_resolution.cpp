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
#include <fnmatch.h>
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

// How a readable format counts a folder's files: by its extensions, or
// (wio_format.folder_names) only files matching its patterns, in which case
// it yields to the other formats.
struct FolderRule {
  std::vector<std::string> extensions;
  std::vector<std::string> names;
};

std::vector<FolderRule> folder_rules() {
  std::vector<FolderRule> out;
  for (const auto &p : loaded_plugins())
    for (const auto &f : p.formats)
      if (f.can_read)
        out.push_back({f.extensions, f.folder_names});
  return out;
}

std::string lowered(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool has_extension(const std::string &lower, const std::vector<std::string> &extensions) {
  for (const auto &e : extensions)
    if (ends_with(lower, "." + e) && lower.size() > e.size() + 1)
      return true;
  return false;
}

// What a file of the folder is to a load: not a weights file, one, or one
// of a format that yields to the others.
enum class Candidate { none, weights, yielding };

Candidate weights_candidate(const std::string &name, const std::vector<FolderRule> &rules) {
  const std::string lower = lowered(name);
  Candidate c = Candidate::none;
  for (const auto &r : rules) {
    if (r.names.empty() && has_extension(lower, r.extensions))
      return Candidate::weights;
    for (const auto &pattern : r.names)
      if (::fnmatch(pattern.c_str(), lower.c_str(), 0) == 0)
        c = Candidate::yielding;
  }
  return c;
}

// An index `<stem>.<ext>.index.json` yields when every format reading
// `.<ext>` yields (pytorch_model.bin.index.json).
Candidate index_candidate(const std::string &name, const std::vector<FolderRule> &rules) {
  const std::string weights = lowered(name.substr(0, name.size() - 11)); // less ".index.json"
  bool any = false;
  for (const auto &r : rules)
    if (has_extension(weights, r.extensions)) {
      if (r.names.empty())
        return Candidate::weights;
      any = true;
    }
  return any ? Candidate::yielding : Candidate::weights;
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
FolderCheckpoint resolve_folder(const fs::path &dir) {
  std::vector<std::string> indexes, weights, pending_sets, yielding_indexes, yielding;
  const auto rules = folder_rules();
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
      (index_candidate(name, rules) == Candidate::weights ? indexes : yielding_indexes)
          .push_back(name);
    else if (const Candidate c = weights_candidate(name, rules); c != Candidate::none)
      (c == Candidate::weights ? weights : yielding).push_back(name);
  }
  // A format that yields (PyTorch's pytorch_model*.bin) is read only where
  // no other checkpoint is: transformers prefers safetensors the same way.
  FolderCheckpoint out;
  if (indexes.empty() && weights.empty() && pending_sets.empty()) {
    indexes = std::move(yielding_indexes);
    weights = std::move(yielding);
  } else {
    yielding.insert(yielding.end(), yielding_indexes.begin(), yielding_indexes.end());
    std::sort(yielding.begin(), yielding.end());
    if (!yielding.empty())
      out.warnings.push_back("the folder also holds " + quoted_list(yielding) +
                             ", left unread: another checkpoint beside them is preferred");
  }
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  std::sort(weights.begin(), weights.end());
  auto found = [&](const std::string &name) {
    out.path = dir / name;
    return out;
  };
  if (indexes.size() == 1)
    return found(indexes[0]);
  if (indexes.size() > 1)
    throw_os_error("load", dir,
                   "the folder holds several checkpoint indexes (" + quoted_list(indexes) +
                       "); name the one to load");
  if (pending_sets.size() == 1)
    return found(pending_sets[0]); // a complete new set, about to replace the files seen
  if (weights.size() == 1)
    return found(weights[0]);
  if (weights.size() > 1)
    if (auto first = one_self_described_set(dir, weights))
      return found(*first);
  if (weights.empty())
    throw_os_error("load", dir, "the folder holds no *.index.json and no weights file", ENOENT);
  throw_os_error("load", dir,
                 "the folder holds no *.index.json and several weights files (" +
                     quoted_list(weights) + "); name the one to load");
}

} // namespace weightio::detail
