// Saving a sharded checkpoint, atomic as a whole (docs/RELIABILITY.md,
// "Sharded checkpoints"). save_weights hands over here when
// SaveOptions::max_shard_bytes is set or the stem already has an index or an
// interrupted commit.
#pragma once

#include <weightio/io.hpp>

#include <filesystem>

namespace weightio::detail {

// True when `path`'s stem has an index or a commit record beside it, or,
// for a format whose sets describe themselves (`format` or the path's
// extension picks it), shards beside it: a one-file save must then replace
// the sharded checkpoint as a whole.
bool has_sharded_state(const std::filesystem::path &path, const std::string &format);

// Plans the shards, writes them (concurrently) and the index as staged files,
// then commits: an fsynced record of the renames, the renames, the old
// checkpoint's unused files removed, the record removed. Holds the stem's
// lock throughout, and first completes (or discards) what an interrupted
// save left. Throws as save_weights.
void save_sharded(const std::filesystem::path &path, const FlatParams &params,
                  const SaveOptions &options);

// Tests only: called with the name of each commit step as it is reached
// ("staged", "recorded", "renamed <file>", "removed", "done"), so a test can
// kill the process there. nullptr (the default) = none.
using CommitStepHook = void (*)(const char *step);
void set_commit_step_hook(CommitStepHook hook);

} // namespace weightio::detail
