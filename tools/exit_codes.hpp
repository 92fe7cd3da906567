// The tool's exit statuses (docs/CLI.md, "Exit status") and the exception commands throw to end
// with one of them.
#pragma once

#include <stdexcept>
#include <string>

namespace wcli {

enum ExitCode : int {
  kExitOk = 0,
  // An input file is invalid (malformed, fails validation or a CRC), or for
  // `diff`, the files differ.
  kExitInvalid = 1,
  // Usage error, a file that can't be opened or written, an option the
  // format can't honour, or any other failure.
  kExitFailure = 2,
  // 128 + N: convert stopped by signal N (SIGINT, SIGTERM, SIGHUP), as a
  // shell reports a process that signal killed.
  kExitSignalBase = 128,
};

// A failure the tool itself detects (not the library): the message goes to
// stderr as is, so it must name the file and the reason.
class CliError : public std::runtime_error {
public:
  CliError(ExitCode code, const std::string &message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

private:
  ExitCode code_;
};

} // namespace wcli
