// The temporary files of the saves in progress, kept where a signal handler
// can read them: fixed slots of plain characters, no locks, no allocation
// (weightio::remove_save_temporaries_from_signal_handler).
#pragma once

namespace weightio::detail {

// Records `path` (a save's temporary file). Returns a handle for
// forget_temporary, or -1 when every slot is taken or the path is too long
// (the save then goes on untracked). Never throws.
int remember_temporary(const char *path) noexcept;
// Drops a record; -1 is ignored. Before the owner unlinks the file, and
// after it renames it over the target (a handler's unlink in between finds
// the name gone and does nothing).
void forget_temporary(int handle) noexcept;

} // namespace weightio::detail
