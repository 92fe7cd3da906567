// How load_weights reaches sharded checkpoints: load.cpp asks
// load_checkpoint first and loads a plain file itself when it declines.
#pragma once

#include <weightio/io.hpp>

#include <filesystem>
#include <optional>

namespace weightio::detail {

// Loads one file (no index, folder or commit-record handling): what
// load_weights did before checkpoints could be many files.
Weights load_file(const std::filesystem::path &path, const LoadOptions &options);

// Handles a folder, an index, a shard with LoadOptions::whole_set, and a
// file of a stem whose sharded save was interrupted; nullopt for a plain
// file, which the caller loads with load_file.
std::optional<Weights> load_checkpoint(const std::filesystem::path &path,
                                       const LoadOptions &options);

} // namespace weightio::detail
