// Runs a planned save: one file written atomically, or a set of files
// committed as a whole.
#pragma once

#include "checkpoint/save_plan.hpp"

#include <weightio/io.hpp>

namespace weightio::detail {

// Writes what `plan` says (its files concurrently, for a set) and returns
// every file's warnings, each once, in file order. Throws IoError for the
// file system's refusals, whatever a writer reported, or Error(Cancelled)
// from the progress callback; nothing of the new checkpoint is left behind
// unless it was committed whole.
SaveResult run_save(const SavePlan &plan, const SaveOptions &o);

} // namespace weightio::detail
