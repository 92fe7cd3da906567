// A load, planned before any tensor is read: what the location names once
// folders, indexes, self-described shard sets and interrupted saves are
// accounted for, and which files to read with which names from each.
#pragma once

#include "checkpoint/checkpoint_name.hpp"
#include "checkpoint/commit_record.hpp"
#include "checkpoint/location.hpp"
#include "checkpoint/shard_index.hpp"

#include <weightio/io.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace weightio::detail {

// What a location names.
struct ResolvedCheckpoint {
  bool plain = false; // a file with no set or interrupted save around it: itself
  CheckpointName name;
  std::filesystem::path shown; // the path given (or found in the folder), for messages
  bool sharded = false;
  // A set without an index, described by its shards' split keys; `first`
  // is its first shard's name.
  bool self_described = false;
  std::string first;
  std::optional<CommitRecord> record; // of an interrupted save of the stem
  std::vector<std::string> warnings;  // what the folder left unread
  // The path to open for a file of the checkpoint (a staged file while an
  // interrupted commit has not renamed it yet).
  std::filesystem::path current(const std::string &final_name) const {
    if (plain)
      return shown;
    return current_path(name, record ? &*record : nullptr, final_name);
  }
};

// The tensors of a sharded checkpoint and where each is.
struct ShardSet {
  ShardIndex index;
  // Shard file -> the tensors the map puts there, files sorted by name.
  std::map<std::string, std::vector<std::string>> files;
};

struct PlannedRead {
  std::string file;           // its name in the checkpoint's folder
  std::filesystem::path path; // the path to open
  std::set<std::string> only; // the names to read from it; empty = all
};

struct LoadPlan {
  Location where;
  ResolvedCheckpoint resolved;
  ShardSet set; // a sharded checkpoint's map (empty otherwise)
  // Every tensor is read: the set's consistency checks run (a shard that
  // lacks a mapped tensor, holds an unmapped one, a tensor in two shards).
  bool whole = true;
  std::vector<PlannedRead> files;
};

// Plans the load of `where` with `o.only` (empty = every tensor) and the
// rest of `o` (whole_set, format, limits). Reads a set's index, or
// describes a self-described set's shards; reads no tensor. Throws IoError
// (a missing file, a folder with no or several checkpoints),
// FormatError (an index or set that contradicts itself), or
// Error(InvalidArgument) for a name of `o.only` a set's map lacks.
LoadPlan plan_load(const Location &where, const LoadOptions &o);

// Re-plans which files to read for `only` (empty = all), keeping what
// plan_load resolved and read. Throws as plan_load for an absent name.
void select_reads(LoadPlan &plan, const std::set<std::string> &only);

} // namespace weightio::detail
