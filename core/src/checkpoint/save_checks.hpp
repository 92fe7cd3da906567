// What a format can hold, checked before a save writes or locks anything:
// every tensor's dtype or block type, the metadata's keys, types and
// nesting, the format's declared limits, compression, and the format's own
// options.
#pragma once

#include "registry/format_options.hpp"
#include "registry/registry_internal.hpp"

#include <weightio/io.hpp>

#include <string>

namespace weightio::detail {

// Checks that the format `f` can hold `params` with `o.metadata` and
// `o.compression`, and resolves `o.format_options` (with the deprecated
// SaveOptions::force_zip64) into the options its writer gets. A sharded
// save calls it once per file it will write, before it writes any. `file`
// names the checkpoint in messages. Throws UnsupportedError (a dtype, a
// value type, a limit, an option the format lacks) or Error(InvalidArgument)
// (a tensor without bytes, a compression level out of range, a value nested
// too deep), naming the tensor where there is one.
OptionList check_save(const FormatInfo &f, const FlatParams &params, const SaveOptions &o,
                      const std::string &file);

} // namespace weightio::detail
