// One file of a save, written atomically: a temporary beside it, the
// format's writer into the host's file sink, then the rename over the old
// file (fsynced first unless the save opts out).
#pragma once

#include "registry/format_options.hpp"
#include "registry/registry_internal.hpp"

#include <weightio/io.hpp>

#include <filesystem>
#include <string>

namespace weightio::detail {

// Writes `params` with `o.metadata` as the resolved format to `dest`;
// `options` are the writer's options, checked and resolved by check_save.
// Returns the writer's warnings. Throws IoError (the file system), what the
// writer reported, or Error(Cancelled); `dest` is then as it was.
SaveResult write_file(const ResolvedFormat &fmt, const FlatParams &params, const SaveOptions &o,
                      OptionList options, const std::filesystem::path &dest);

} // namespace weightio::detail
