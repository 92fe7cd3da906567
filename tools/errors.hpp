// Turning failures into the exit status and one message on stderr.
#pragma once

#include "exit_codes.hpp"

#include <functional>
#include <string>

namespace wcli {

// Runs `body` (a command) and returns its exit status. Exceptions become
// "weightio <command>: <message>" on stderr and the status docs/CLI.md gives:
// an invalid input file is 1, everything else 2 (CliError: its own code).
// Messages are escaped here (printable()): pass them raw.
int run_reporting(const std::string &command, const std::function<int()> &body);

// A non-fatal note on stderr, e.g. metadata a conversion could not keep;
// escaped here: pass it raw.
void warn(const std::string &command, const std::string &message);

} // namespace wcli
