// One file (or buffer) of a load, read by its format's reader: the format
// picked by name, extension or first bytes, the input mapped or read, the
// reader run by the host's side of the ABI.
#pragma once

#include "io/input_file.hpp"

#include <weightio/io.hpp>

#include <filesystem>
#include <string>

namespace weightio::detail {

// Reads `path` as one file (no folder, index or commit-record handling).
// With `into`, the tensors named there go straight into the caller's
// buffers (whose types and shapes the caller checked against a description
// of the file); the returned tensors then view those buffers. Throws what
// load_weights documents.
Weights read_file(const std::filesystem::path &path, const LoadOptions &o,
                  const MutableParams *into = nullptr);

// As read_file, from input bytes already in hand; `shown` names them.
Weights read_input(const InputBytes &in, const std::filesystem::path &shown, const LoadOptions &o,
                   const MutableParams *into = nullptr);

// `options` with on_ready serialised by one mutex (the files of a set load
// concurrently, and each file's tensors become ready on several threads).
LoadOptions serialised_ready(const LoadOptions &options);

} // namespace weightio::detail
