#include "checkpoint/save_plan.hpp"

#include "checkpoint/save_checks.hpp"
#include "checkpoint/set_commit.hpp"
#include "checkpoint/shard_index.hpp"
#include "checkpoint/shard_plan.hpp"
#include "checkpoint/split_keys.hpp"
#include "support/os_error.hpp"

#include <weightio/error.hpp>

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {

// Whether the stem has an index or a commit record beside it, or, for a
// format whose sets describe themselves, shards beside it: a one-file save
// must then replace the sharded checkpoint as a whole.
bool has_sharded_state(const CheckpointName &name, bool split_keys) {
  if (exists_lstat(name.dir / name.index()) || exists_lstat(name.dir / name.record()))
    return true;
  if (!split_keys)
    return false;
  DIR *d = ::opendir(name.dir.c_str());
  if (d == nullptr)
    return false;
  bool found = false;
  while (dirent *e = ::readdir(d))
    if (name.is_shard_name(e->d_name)) {
      found = true;
      break;
    }
  ::closedir(d);
  return found;
}

// The folder must exist and the path must name a file in it.
void check_destination(const CheckpointName &name, const fs::path &path) {
  if (name.base.empty() || name.single() == "." || name.single() == "..")
    throw_os_error("save", path, "the path names a folder, not a file", EISDIR);
  struct stat dst {};
  if (::stat(name.dir.c_str(), &dst) != 0) {
    const int err = errno;
    throw_os_error("save", path, "folder '" + name.dir.string() + "'", err);
  }
}

} // namespace

SavePlan plan_save(const Location &where, const FlatParams &params, const SaveOptions &o) {
  SavePlan plan;
  plan.where = where;
  const fs::path &path = where.path;
  const std::string shown = where.shown();
  plan.format = resolve_format(path, o.format, Need::Write);
  const FormatInfo &info = plan.format.format->info;
  plan.name = CheckpointName::from_weights_path(path);
  plan.tensor_count = params.size();
  plan.as_set = o.max_shard_bytes != 0 || has_sharded_state(plan.name, info.split_keys);
  if (!plan.as_set) {
    PlannedWrite w;
    w.final_name = plan.name.single();
    w.params = &params;
    w.metadata = o.metadata;
    w.options = check_save(info, params, o, shown);
    plan.files.push_back(std::move(w));
    return plan;
  }

  check_destination(plan.name, path);
  const ShardPlan shards = plan_shards(params, o.max_shard_bytes);
  plan.total_bytes = shards.total_size;
  const size_t n = std::max<size_t>(1, shards.shards.size());
  const bool sharded = n > 1;
  plan.self_described = sharded && info.split_keys;
  if (plan.self_described && (n > kMaxSplitShards || params.size() > kMaxSplitTensors))
    throw Error(ErrorCode::InvalidArgument,
                "cannot save '" + shown + "': a " + info.name + " shard set holds at most " +
                    std::to_string(kMaxSplitShards) + " shards and " +
                    std::to_string(kMaxSplitTensors) + " tensors; this one would have " +
                    std::to_string(n) + " shards and " + std::to_string(params.size()) +
                    " tensors (raise the shard size)",
                shown);

  std::vector<std::pair<std::string, std::string>> weight_map;
  for (size_t s = 0; s < n; ++s) {
    PlannedWrite w;
    w.final_name = sharded ? plan.name.shard(s + 1, n) : plan.name.single();
    auto part = std::make_unique<FlatParams>();
    if (s < shards.shards.size())
      for (size_t i : shards.shards[s]) {
        const auto &[k, v] = *(params.begin() + static_cast<std::ptrdiff_t>(i));
        part->emplace(k, v);
        weight_map.emplace_back(k, w.final_name);
      }
    w.params = part.get();
    w.metadata =
        plan.self_described ? split_shard_metadata(o.metadata, s, n, params.size()) : o.metadata;
    // Each file is checked as it will be written (its own tensor count, its
    // own metadata), and all of them before the lock or any byte.
    SaveOptions checked = o;
    checked.metadata = w.metadata;
    w.options = check_save(info, *part, checked, shown);
    plan.parts.push_back(std::move(part));
    plan.files.push_back(std::move(w));
  }
  // A name JSON can't hold is refused here, before anything is written.
  if (sharded && !plan.self_described)
    plan.index_text = index_json(plan.total_bytes, weight_map);
  return plan;
}

} // namespace weightio::detail
