// The subcommands. Each add_* registers its options on the parent app and
// returns what to run once the command line has been parsed.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace wcli {

struct Command {
  CLI::App *app = nullptr; // owned by the parent app
  // Runs the command; returns the exit status or throws (see errors.hpp).
  std::function<int()> run;
};

Command add_inspect(CLI::App &parent);
Command add_convert(CLI::App &parent);
Command add_verify(CLI::App &parent);
Command add_diff(CLI::App &parent);
Command add_plugins(CLI::App &parent);
Command add_demo(CLI::App &parent);
Command add_conformance(CLI::App &parent);

} // namespace wcli
