// The commit record of a sharded save (`.model.safetensors.weightio-commit`):
// the renames that turn staged files into the new checkpoint and the old
// files to remove afterwards. It exists, fsynced, only while the renames run;
// a record left by a killed save tells loads which checkpoint is complete and
// the next save what to finish. See docs/RELIABILITY.md.
#pragma once

#include "checkpoint/checkpoint_name.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace weightio::detail {

struct CommitRecord {
  // The new checkpoint's entry: the index, or the single file.
  std::string entry;
  // Staged name -> final name, in the order they are renamed (the entry last).
  std::vector<std::pair<std::string, std::string>> renames;
  // Files of the old checkpoint the new one does not use, in removal order.
  std::vector<std::string> removes;

  // The record's bytes (JSON).
  std::string to_json() const;
  // The staged name that will become `final_name`, or empty.
  std::string staged_for(const std::string &final_name) const;
};

// Reads the record of `name`'s stem, read-only. nullopt when there is none,
// or when it is not trusted (logged as a warning): a record is trusted only
// if it is a regular file (not a symlink) owned by the folder's owner or by
// this process's user, its staged files are regular files with the same
// owner, and every name in it is a plain name of this stem (staged names
// with the stem's staging prefix; finals and removals the stem's single
// file, index or shards).
std::optional<CommitRecord> read_trusted_record(const CheckpointName &name);

// The path to open for `final_name` under `record`: its staged file while it
// still exists (the rename has not run yet), else the final name.
std::filesystem::path current_path(const CheckpointName &name, const CommitRecord *record,
                                   const std::string &final_name);

} // namespace weightio::detail
