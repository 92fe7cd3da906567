// Runs a planned load: one file, or the files of a set read concurrently,
// checked against the set's map and merged.
#pragma once

#include "checkpoint/load_plan.hpp"

#include <weightio/io.hpp>

namespace weightio::detail {

// Reads what `plan` says with `o` (its `only` is the plan's, file by file).
// With `into`, tensors named there go straight into the caller's buffers.
// A set's problems (a missing shard, a tensor the map puts elsewhere, one in
// two shards) are reported together: IoError when shards are only missing,
// else FormatError, naming the checkpoint. Throws what load_weights
// documents for each file.
Weights run_load(const LoadPlan &plan, const LoadOptions &o, const MutableParams *into = nullptr);

} // namespace weightio::detail
