// For hosts that handle signals. A save in progress cleans up after itself
// when it fails or is cancelled (see SaveOptions::progress); these are for
// the cases where it cannot: the process is about to end from a signal
// handler.
#pragma once

namespace weightio {

// Removes (unlinks) the temporary file of every save in progress in this
// process. Async-signal-safe: no locks, no allocation, only unlink(2), so a
// host may call it from the handler of a fatal signal (SIGBUS from a mapped
// input that another process truncated, a second SIGINT) just before it ends
// the process with _exit() or by re-raising the signal. The saves themselves
// must not continue afterwards: their files are gone, and a commit would
// fail. Up to 64 saves at once are tracked; paths longer than 4095 bytes are
// not. Never throws.
void remove_save_temporaries_from_signal_handler() noexcept;

} // namespace weightio
