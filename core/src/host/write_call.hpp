// The host's side of one wio write call: the request a writer gets (laid
// out for the plugin's ABI version) and the sink it writes through.
#pragma once

#include "io/output_sink.hpp"
#include "registry/format_options.hpp"
#include "registry/registry_internal.hpp"

#include <weightio/io.hpp>

#include <string>

namespace weightio::detail {

// Runs the format's writer on `params` (checked by the caller against the
// format's capabilities) with `options` (resolved by the caller) into
// `sink`, then flushes the sink. `file` names the output in messages.
// Throws what the writer reported (with the plugin's label), or the sink's
// or progress callback's exception, which wins over the writer's status.
// Returns the writer's warnings.
SaveResult call_write(const ResolvedFormat &fmt, const FlatParams &params, const SaveOptions &o,
                      OptionList options, OutputSink &sink, const std::string &file);

} // namespace weightio::detail
