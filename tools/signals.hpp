// How the tool ends on signals: an interrupt during a save is a
// cancellation that removes the temporary file; a file-size limit is a clean
// error; a mapped input truncated under us is a message, not a silent death.
#pragma once

#include <string>

namespace wcli {

// Once, at start-up: SIGXFSZ ignored (writing past RLIMIT_FSIZE then fails
// with EFBIG, which the save reports and cleans up after), and a SIGBUS
// handler that removes the temporary files of saves in progress, prints the
// message set by on_input_fault() and exits with status 1.
void install_signal_handlers();

// What the SIGBUS handler prints (after "weightio <command>: "): say which
// input was being read. Copied into a fixed buffer, which the handler then
// writes as is; `message` should already be escaped for a terminal.
void on_input_fault(const std::string &command, const std::string &message);

// While one lives, SIGINT, SIGTERM and SIGHUP are recorded instead of ending
// the process, so that the work can stop at its next progress callback (see
// interrupted()) and clean up. A second one of them ends the process at once,
// by that signal, after removing the temporary files of saves in progress.
// The previous dispositions come back on destruction.
class InterruptScope {
public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope &) = delete;
  InterruptScope &operator=(const InterruptScope &) = delete;
};

// The first signal received in an InterruptScope, or 0.
int interrupted() noexcept;
// "SIGINT", "SIGTERM", "SIGHUP", else "signal N".
std::string signal_name(int sig);

} // namespace wcli
