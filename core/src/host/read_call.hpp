// The host's side of one wio read call: the request a reader gets, the
// callbacks it calls (each checking what the reader hands back rather than
// trusting it), and the deferred decodes, checks and copies run after it.
#pragma once

#include "io/input_file.hpp"
#include "registry/registry_internal.hpp"

#include <weightio/io.hpp>

#include <string>

namespace weightio::detail {

// Reads `in` with the resolved format's reader into Weights, or into the
// caller's buffers named in `into` (load_weights_into; may be null). `file`
// names the input in messages. Throws what the reader reported (with the
// plugin's label), what a callback refused (FormatError for a malformed
// file, PluginError for a reader breaking the ABI), IoError for a failed
// ranged read, Error(InvalidArgument) for a LoadOptions::only name the file
// lacks, and whatever LoadOptions' callbacks threw. The returned tensors
// keep `in.keep_alive` and the plugin loaded while they view the input.
Weights call_read(const InputBytes &in, const LoadOptions &o, const ResolvedFormat &fmt,
                  std::string file, const MutableParams *into);

} // namespace weightio::detail
