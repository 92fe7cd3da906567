// The commit of a sharded save, atomic as a whole (docs/RELIABILITY.md,
// "Sharded checkpoints"): staged files become the checkpoint by the renames
// of an fsynced commit record, which a later save of the stem finishes if
// this one is killed. Everything here runs under the stem's lock.
#pragma once

#include "checkpoint/checkpoint_name.hpp"
#include "checkpoint/commit_record.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

namespace weightio::detail {

// lstat: true when `p` exists (a symlink counts, not followed); fills `out`.
bool exists_lstat(const std::filesystem::path &p, struct stat *out = nullptr);

// fsync of a folder, so the names in it are durable. Throws IoError naming
// `shown`.
void fsync_dir(const std::filesystem::path &dir, const std::filesystem::path &shown);

// A new file (never an existing name, never through a symlink) holding
// `text`, fsynced when `durable`. Throws IoError naming `shown`; leaves
// nothing behind on failure.
void write_new_file(const std::filesystem::path &p, const std::string &text, bool durable,
                    const std::filesystem::path &shown);

// The renames, then the removals, then the record's removal. Each step is
// idempotent, so an interrupted run is finished by running it again. Throws
// IoError when a rename fails (the record then stays, and the next save
// finishes the commit).
void apply_commit(const CheckpointName &name, const CommitRecord &r, bool durable,
                  const std::filesystem::path &shown);

// Finishes an interrupted commit of the stem (or drops an untrusted record),
// then removes staged files no commit will use.
void recover_stem(const CheckpointName &name, bool durable, const std::filesystem::path &shown);

// The previous checkpoint's files the new one (`finals`) does not use.
std::vector<std::string> obsolete_files(const CheckpointName &name,
                                        const std::vector<std::string> &finals, bool sharded,
                                        bool split_keys);

// Reports a commit step to the test hook (set_commit_step_hook).
void commit_step(const std::string &what);

// Tests only: called with the name of each commit step as it is reached
// ("wrote <file>", "staged", "recorded", "renamed <file>", "removed",
// "done"), so a test can kill the process there. nullptr (the default) =
// none.
using CommitStepHook = void (*)(const char *step);
void set_commit_step_hook(CommitStepHook hook);

} // namespace weightio::detail
