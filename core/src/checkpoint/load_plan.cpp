#include "checkpoint/load_plan.hpp"

#include "checkpoint/file_read.hpp"
#include "checkpoint/folder_resolution.hpp"
#include "checkpoint/split_keys.hpp"
#include "support/limit_text.hpp"
#include "support/os_error.hpp"

#include <weightio/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {

// nullopt: a plain file with no interrupted save of its stem.
std::optional<ResolvedCheckpoint> resolve(fs::path path, const LoadOptions &o) {
  struct stat st {};
  const bool folder = ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  std::vector<std::string> folder_warnings;
  if (folder) {
    FolderCheckpoint found = resolve_folder(path);
    path = std::move(found.path);
    folder_warnings = std::move(found.warnings);
  }
  ResolvedCheckpoint r;
  r.shown = path;
  r.warnings = std::move(folder_warnings);
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
                      "cannot load '" + shown.string() + "': " +
                          over_limit_text("index size", static_cast<uint64_t>(st.st_size), limit,
                                          "max_header_bytes"),
                      shown.string(), {}, "max_header_bytes");
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

// A self-described set: shards 1..N of the first shard's name, each
// described (headers only) for its tensors and split keys, which must agree
// with the names and with each other.
ShardSet read_split_set(const ResolvedCheckpoint &r, const LoadOptions &o) {
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
    const Weights w = read_file(p, d);
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

ShardSet read_shard_set(const ResolvedCheckpoint &r, const LoadOptions &o) {
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
std::vector<std::string> unlisted_shards(const ResolvedCheckpoint &r, const ShardSet &set) {
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

} // namespace

void select_reads(LoadPlan &plan, const std::set<std::string> &only) {
  plan.files.clear();
  plan.whole = only.empty();
  const ResolvedCheckpoint &r = plan.resolved;
  if (!r.sharded) {
    const std::string file = r.shown.filename().string();
    plan.files.push_back({file, r.current(file), only});
    return;
  }
  const std::string shown = r.shown.string();
  std::map<std::string, std::set<std::string>> wanted;
  if (only.empty()) {
    for (const auto &[file, tensors] : plan.set.files)
      wanted[file];
    for (auto &file : unlisted_shards(r, plan.set))
      wanted[file];
  } else {
    std::map<std::string, std::string> where(plan.set.index.weight_map.begin(),
                                             plan.set.index.weight_map.end());
    std::vector<std::string> absent;
    for (const auto &name : only) {
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
  for (auto &[file, names] : wanted)
    plan.files.push_back({file, r.current(file), std::move(names)});
}

LoadPlan plan_load(const Location &where, const LoadOptions &o) {
  LoadPlan plan;
  plan.where = where;
  if (auto r = resolve(where.path, o)) {
    plan.resolved = std::move(*r);
  } else {
    plan.resolved.plain = true;
    plan.resolved.shown = where.path;
  }
  if (plan.resolved.sharded)
    plan.set = read_shard_set(plan.resolved, o);
  select_reads(plan, o.only);
  return plan;
}

} // namespace weightio::detail
