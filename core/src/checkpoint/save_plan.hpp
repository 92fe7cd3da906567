// A save, planned before anything is locked or written: the format resolved
// once, the files it will write (one, or the shards of a set) with the
// tensors and metadata of each, and every check the format's capabilities
// and limits call for, run on each file's own tensors.
#pragma once

#include "checkpoint/checkpoint_name.hpp"
#include "checkpoint/location.hpp"
#include "registry/format_options.hpp"
#include "registry/registry_internal.hpp"

#include <weightio/io.hpp>

#include <memory>
#include <string>
#include <vector>

namespace weightio::detail {

struct PlannedWrite {
  std::string final_name;             // its name in the checkpoint's folder
  const FlatParams *params = nullptr; // its tensors (the caller's, or the plan's own part)
  Metadata metadata;                  // its metadata (a set's split keys included)
  OptionList options;                 // the writer's resolved options
};

struct SavePlan {
  Location where;
  ResolvedFormat format;
  CheckpointName name;
  // Through the set commit (stem lock, staged files, commit record): a
  // sharded save, or one file replacing a sharded checkpoint of its stem.
  bool as_set = false;
  bool self_described = false; // shards carry split keys; no index
  std::string index_text;      // the index to write (empty: none)
  uint64_t total_bytes = 0;    // of every tensor
  size_t tensor_count = 0;
  std::vector<PlannedWrite> files;
  std::vector<std::unique_ptr<FlatParams>> parts; // the shards' tensors, owned
};

// Plans the save of `params` to `where`. Throws what save_weights
// documents for a save that can't be done (unknown format, a dtype, value
// type, option or limit the format can't hold, a missing folder, a set over
// its format's shard limits, a name an index can't hold) before touching
// the file system beyond reading it. The plan points into `params`, which
// must outlive it.
SavePlan plan_save(const Location &where, const FlatParams &params, const SaveOptions &o);

} // namespace weightio::detail
