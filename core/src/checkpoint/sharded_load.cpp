// Loading a checkpoint that may be many files: folder and index resolution,
// the index's checks, shards mapped concurrently, and what an interrupted
// sharded save left (read-only: a load never writes).
#include "checkpoint/checkpoint_load.hpp"
#include "checkpoint/checkpoint_name.hpp"
#include "checkpoint/commit_record.hpp"
#include "checkpoint/set_work.hpp"
#include "checkpoint/shard_index.hpp"
#include "checkpoint/split_keys.hpp"
#include "registry/registry_internal.hpp"
#include "support/log_internal.hpp"
#include "support/os_error.hpp"

#include <weightio/error.hpp>
#include <weightio/registry.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxLoadThreads = 8;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string quoted_list(const std::vector<std::string> &names) {
  std::string s;
  for (const auto &n : names)
    s += (s.empty() ? "'" : ", '") + n + "'";
  return s;
}

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

// What a path names, once folders and interrupted saves are accounted for.
struct Resolved {
  CheckpointName name;
  fs::path shown; // the path given (or found in the folder), for messages
  bool sharded = false;
  // A set without an index, described by its shards' split keys; `first`
  // is its first shard's name.
  bool self_described = false;
  std::string first;
  std::optional<CommitRecord> record;
  fs::path current(const std::string &final_name) const {
    return current_path(name, record ? &*record : nullptr, final_name);
  }
};

// nullopt: a plain file with no interrupted save of its stem.
std::optional<Resolved> resolve(fs::path path, const LoadOptions &o) {
  struct stat st {};
  const bool folder = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  if (folder)
    path = resolve_folder(path);
  Resolved r;
  r.shown = path;
  if (auto n = CheckpointName::from_index_path(path)) {
    r.name = *n;
    r.sharded = true;
  } else if (auto s = CheckpointName::from_shard_path(path); s && (o.whole_set || folder)) {
    r.name = *s;
    r.sharded = true;
    r.shown = s->dir / s->index();
    struct stat ist {};
    if (::lstat(r.shown.c_str(), &ist) != 0 && self_described_format(path, o.format)) {
      r.self_described = true;
      r.first = s->shard(1, shard_count(path.filename().string()));
      r.shown = s->dir / r.first;
    }
  } else {
    // A plain file: the single file of its stem, or a shard of a set.
    r.name = s ? *s : CheckpointName::from_weights_path(path);
    r.record = read_trusted_record(r.name);
    if (!r.record && !folder)
      return std::nullopt;
    return r;
  }
  r.record = read_trusted_record(r.name);
  // An interrupted save of a single file over a sharded checkpoint: the new
  // file is complete (the record is written only once it is), so it is
  // what a load of this stem sees.
  if (r.record && r.record->entry == r.name.single()) {
    r.sharded = false;
    r.self_described = false;
    r.shown = r.name.dir / r.name.single();
  } else if (r.record && r.self_described && r.name.is_shard_name(r.record->entry)) {
    // The interrupted save's set is complete: it is the one a load sees.
    r.first = r.record->entry;
    r.shown = r.name.dir / r.first;
  }
  return r;
}

std::string read_index_text(const fs::path &p, const fs::path &shown, uint64_t limit) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw_os_error("load", shown, "cannot open the index", err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw_os_error("load", shown, "the index is not a regular file");
  }
  if (limit != 0 && static_cast<uint64_t>(st.st_size) > limit) {
    ::close(fd);
    throw FormatError(ErrorCode::InvalidFile,
                      "cannot load '" + shown.string() + "': the index is " +
                          std::to_string(st.st_size) + " bytes, over the limit of " +
                          std::to_string(limit) + " (LoadLimits::max_header_bytes)",
                      shown.string());
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw_os_error("load", shown, "cannot read the index", err);
    }
    if (n == 0)
      break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(got);
  return text;
}

struct ShardSet {
  ShardIndex index;
  // Shard file -> the tensors the map puts there, files sorted by name.
  std::map<std::string, std::vector<std::string>> files;
};

// A self-described set: shards 1..N of the first shard's name, each
// described (headers only) for its tensors and split keys, which must agree
// with the names and with each other.
ShardSet read_split_set(const Resolved &r, const LoadOptions &o) {
  ShardSet s;
  const size_t n = shard_count(r.first);
  std::vector<std::string> problems, missing;
  std::optional<uint64_t> declared;
  size_t held = 0;
  for (size_t i = 1; i <= n; ++i) {
    const std::string file = r.name.shard(i, n);
    const fs::path p = r.current(file);
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      missing.push_back(file);
      continue;
    }
    LoadOptions d = o;
    d.describe_only = true;
    d.only.clear();
    d.whole_set = false;
    d.progress = {};
    d.on_ready = {}; // descriptions, not the tensors the caller is waiting for
    const Weights w = load_file(p, d);
    const SplitKeys k = read_split_keys(w.metadata);
    if (!k.problem.empty()) {
      problems.push_back("shard '" + file + "': " + k.problem);
    } else if (k.no != i - 1 || k.count != n) {
      problems.push_back("shard '" + file + "' says it is split.no " + std::to_string(k.no) +
                         " of split.count " + std::to_string(k.count) + ", but its name makes it " +
                         std::to_string(i - 1) + " of " + std::to_string(n));
    } else if (!declared) {
      declared = k.tensors;
    } else if (*declared != k.tensors) {
      problems.push_back("shard '" + file + "' says the set has " + std::to_string(k.tensors) +
                         " tensors (split.tensors.count), the first shard says " +
                         std::to_string(*declared));
    }
    auto &names = s.files[file];
    for (const auto &[name, t] : w) {
      names.push_back(name);
      s.index.weight_map.emplace_back(name, file);
    }
    held += w.size();
  }
  if (!missing.empty())
    problems.insert(problems.begin(),
                    "the " + std::to_string(n) + "-file set lacks " + quoted_list(missing));
  else if (declared && problems.empty() && held != *declared)
    problems.push_back("the shards hold " + std::to_string(held) +
                       " tensors, but split.tensors.count says " + std::to_string(*declared));
  if (!problems.empty()) {
    std::string msg = "cannot load '" + r.shown.string() + "': ";
    for (size_t i = 0; i < problems.size(); ++i)
      msg += (i ? "; " : "") + problems[i];
    if (problems.size() == 1 && !missing.empty())
      throw IoError(ErrorCode::Io, msg, r.shown.string());
    throw FormatError(ErrorCode::InvalidFile, msg, r.shown.string());
  }
  std::stable_sort(s.index.weight_map.begin(), s.index.weight_map.end());
  return s;
}

ShardSet read_shard_set(const Resolved &r, const LoadOptions &o) {
  if (r.self_described)
    return read_split_set(r, o);
  ShardSet s;
  const std::string text =
      read_index_text(r.current(r.name.index()), r.shown, o.limits.max_header_bytes);
  s.index = parse_index(text, r.shown.string());
  for (const auto &[tensor, file] : s.index.weight_map)
    s.files[file].push_back(tensor);
  return s;
}

// Shards of the set that the map names no tensor in: for each mapped
// `base-0000i-of-0000N.ext`, the other numbers up to N that exist beside it.
// Their tensors are then reported as missing from the map.
std::vector<std::string> unlisted_shards(const Resolved &r, const ShardSet &set) {
  constexpr size_t kMaxShardCount = 10000; // stats per set, whatever a hostile name says
  std::set<std::string> out;
  std::set<std::pair<std::string, size_t>> seen; // (base + ext, N)
  for (const auto &[file, tensors] : set.files) {
    const auto n = CheckpointName::from_shard_path(file);
    if (!n)
      continue;
    const std::string count = file.substr(file.rfind("-of-") + 4);
    const size_t total = static_cast<size_t>(std::strtoull(count.c_str(), nullptr, 10));
    if (total == 0 || total > kMaxShardCount || !seen.emplace(n->single(), total).second)
      continue;
    for (size_t i = 1; i <= total; ++i) {
      const std::string candidate = n->shard(i, total);
      struct stat st {};
      if (!set.files.count(candidate) && ::stat(r.current(candidate).c_str(), &st) == 0 &&
          S_ISREG(st.st_mode))
        out.insert(candidate);
    }
  }
  return {out.begin(), out.end()};
}

Weights load_sharded(const Resolved &r, const LoadOptions &o, const MutableParams *into) {
  const std::string shown = r.shown.string();
  ShardSet set = read_shard_set(r, o);

  // Which shards to open, and which names from each.
  std::map<std::string, std::set<std::string>> wanted;
  if (o.only.empty()) {
    for (const auto &[file, tensors] : set.files)
      wanted[file];
  } else {
    std::map<std::string, std::string> where(set.index.weight_map.begin(),
                                             set.index.weight_map.end());
    std::vector<std::string> absent;
    for (const auto &name : o.only) {
      auto it = where.find(name);
      if (it == where.end())
        absent.push_back(name);
      else
        wanted[it->second].insert(name);
    }
    if (!absent.empty())
      throw Error(ErrorCode::InvalidArgument,
                  "cannot load '" + shown + "': its weight_map has no tensor named " +
                      quoted_list(absent),
                  shown);
  }
  if (o.only.empty())
    for (auto &file : unlisted_shards(r, set))
      wanted[file];
  std::vector<std::string> files;
  std::vector<fs::path> paths;
  uint64_t total = 0;
  for (const auto &[file, names] : wanted) {
    files.push_back(file);
    paths.push_back(r.current(file));
    struct stat st {};
    if (::stat(paths.back().c_str(), &st) == 0)
      total += static_cast<uint64_t>(st.st_size);
  }

  std::vector<std::optional<Weights>> loaded(files.size());
  std::vector<std::exception_ptr> errors(files.size());
  std::vector<bool> missing(files.size(), false);
  SetProgress progress(o.progress, files.size(), total);
  run_bounded(files.size(), kMaxLoadThreads, [&](size_t i) {
    struct stat st {};
    if (::stat(paths[i].c_str(), &st) != 0 && errno == ENOENT) {
      missing[i] = true;
      return;
    }
    LoadOptions so = o;
    so.only = wanted.at(files[i]);
    so.whole_set = false;
    so.progress = o.progress ? progress.for_file(i) : ProgressFn{};
    try {
      loaded[i] = load_file(paths[i], so, into);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (const auto &e : errors)
    if (e)
      std::rethrow_exception(e);

  // Every problem with the set, listed together.
  std::vector<std::string> problems;
  bool only_missing = true;
  for (size_t i = 0; i < files.size(); ++i)
    if (missing[i]) {
      const auto &tensors = set.files[files[i]];
      problems.push_back("shard '" + files[i] + "' does not exist (weight_map puts " +
                         std::to_string(tensors.size()) + " tensors there" +
                         (tensors.empty() ? "" : ", such as '" + tensors.front() + "'") + ")");
    }
  if (o.only.empty()) {
    std::map<std::string, std::vector<std::string>> found_in; // tensor -> shard files
    for (size_t i = 0; i < files.size(); ++i)
      if (loaded[i])
        for (const auto &[name, t] : *loaded[i])
          found_in[name].push_back(files[i]);
    std::map<std::string, std::string> mapped(set.index.weight_map.begin(),
                                              set.index.weight_map.end());
    for (size_t i = 0; i < files.size(); ++i) {
      if (!loaded[i])
        continue;
      for (const auto &name : set.files[files[i]]) {
        if (loaded[i]->contains(name))
          continue;
        auto f = found_in.find(name);
        problems.push_back(f == found_in.end()
                               ? "weight_map puts tensor '" + name + "' in '" + files[i] +
                                     "', which lacks it"
                               : "weight_map puts tensor '" + name + "' in '" + files[i] +
                                     "', but it is in '" + f->second.front() + "'");
        only_missing = false;
      }
      for (const auto &[name, t] : *loaded[i]) {
        auto m = mapped.find(name);
        if (m == mapped.end()) {
          problems.push_back("shard '" + files[i] + "' holds tensor '" + name +
                             "', which weight_map does not list");
          only_missing = false;
        }
      }
    }
    for (const auto &[name, in] : found_in)
      if (in.size() > 1) {
        problems.push_back("tensor '" + name + "' is in more than one shard: " + quoted_list(in));
        only_missing = false;
      }
  }
  if (!problems.empty()) {
    std::string msg = "cannot load '" + shown + "': ";
    for (size_t i = 0; i < problems.size(); ++i)
      msg += (i ? "; " : "") + problems[i];
    if (only_missing)
      throw IoError(ErrorCode::Io, msg, shown);
    throw FormatError(ErrorCode::InvalidFile, msg, shown);
  }

  Weights out;
  uint64_t bytes = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    Weights &w = *loaded[i];
    if (out.format.empty())
      out.format = w.format;
    for (auto &[name, t] : w) {
      bytes += t.nbytes();
      out.emplace(name, std::move(t));
    }
    for (const auto &[k, v] : w.metadata) {
      if (r.self_described && is_split_key(k))
        continue; // the set's layout, not the checkpoint's metadata
      const Value *kept = out.metadata.find(k);
      if (kept == nullptr)
        out.metadata.emplace(k, v);
      else if (!(*kept == v))
        out.warnings.push_back("shards disagree on metadata '" + k +
                               "'; the value of an "
                               "earlier shard is kept, not the one in '" +
                               files[i] + "'");
    }
    for (auto &warning : w.warnings)
      out.warnings.push_back(std::move(warning));
  }
  if (o.only.empty() && set.index.total_size && *set.index.total_size != bytes)
    out.warnings.push_back("metadata.total_size is " + std::to_string(*set.index.total_size) +
                           " but the shards hold " + std::to_string(bytes) + " bytes of tensors");
  for (const auto &w : out.warnings)
    log()->warn("'{}': {}", shown, w);
  return out;
}

} // namespace

std::optional<Weights> load_checkpoint(const fs::path &path, const LoadOptions &options,
                                       const MutableParams *into) {
  auto r = resolve(path, options);
  if (!r)
    return std::nullopt;
  if (r->sharded)
    return load_sharded(*r, options, into);
  return load_file(r->current(r->shown.filename().string()), options, into);
}

} // namespace weightio::detail

namespace weightio {

CheckpointLayout describe_checkpoint(const std::filesystem::path &path,
                                     const LoadOptions &options) {
  using namespace detail;
  CheckpointLayout out;
  auto r = resolve(path, options);
  if (!r || !r->sharded) {
    out.entry = r ? r->shown : path;
    return out;
  }
  out.entry = r->shown;
  out.sharded = true;
  ShardSet set = read_shard_set(*r, options);
  out.index_metadata = set.index.metadata;
  for (auto &[file, tensors] : set.files) {
    ShardEntry e;
    e.file = file;
    e.tensors = std::move(tensors);
    struct stat st {};
    if (::stat(r->current(file).c_str(), &st) == 0)
      e.file_bytes = static_cast<uint64_t>(st.st_size);
    out.shards.push_back(std::move(e));
  }
  return out;
}

} // namespace weightio
