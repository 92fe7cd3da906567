// How load_weights reaches sharded checkpoints: load.cpp asks
// load_checkpoint first and loads a plain file itself when it declines.
#pragma once

#include <weightio/io.hpp>

#include <filesystem>
#include <optional>

namespace weightio::detail {

// Loads one file (no index, folder or commit-record handling): what
// load_weights did before checkpoints could be many files. With `into`, the
// tensors named there are written straight into the caller's buffers (whose
// types and shapes the caller checked against a description of the file);
// the returned tensors then view those buffers.
Weights load_file(const std::filesystem::path &path, const LoadOptions &options,
                  const MutableParams *into = nullptr);

// Handles a folder, an index, a shard with LoadOptions::whole_set, and a
// file of a stem whose sharded save was interrupted; nullopt for a plain
// file, which the caller loads with load_file.
std::optional<Weights> load_checkpoint(const std::filesystem::path &path,
                                       const LoadOptions &options,
                                       const MutableParams *into = nullptr);

// `options` with on_ready serialised by one mutex (the shards of a set load
// concurrently, and each file's tensors become ready on several threads).
LoadOptions serialised_ready(const LoadOptions &options);

} // namespace weightio::detail
