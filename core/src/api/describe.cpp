#include "checkpoint/load_plan.hpp"

#include <weightio/io.hpp>

#include <sys/stat.h>

namespace weightio {

using namespace detail;

CheckpointLayout describe_checkpoint(const std::filesystem::path &path,
                                     const LoadOptions &options) {
  CheckpointLayout out;
  LoadOptions o = options;
  o.only.clear(); // the layout of the whole checkpoint, whatever a load would pick
  LoadPlan plan = plan_load(Location::of(path), o);
  const ResolvedCheckpoint &r = plan.resolved;
  out.entry = r.shown;
  if (!r.sharded)
    return out;
  out.sharded = true;
  out.index_metadata = plan.set.index.metadata;
  for (auto &[file, tensors] : plan.set.files) {
    ShardEntry e;
    e.file = file;
    e.tensors = tensors;
    struct stat st {};
    if (::stat(r.current(file).c_str(), &st) == 0)
      e.file_bytes = static_cast<uint64_t>(st.st_size);
    out.shards.push_back(std::move(e));
  }
  return out;
}

} // namespace weightio
