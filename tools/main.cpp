// weightio: the command-line tool. Parses the command line, sets the log
// level and runs one subcommand; see commands.hpp and docs/CLI.md.
#include "commands.hpp"
#include "errors.hpp"
#include "escaping_log_sink.hpp"
#include "exit_codes.hpp"
#include "human.hpp"
#include "signals.hpp"
#include "usage_errors.hpp"

#include <weightio/log.hpp>
#include <weightio/version.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

// CLI11 shows a flag's default value in its name ("--compress{-1}"); the
// help reads better without it (the description says what it means).
class Formatter : public CLI::Formatter {
public:
  std::string make_option_name(const CLI::Option *opt, bool positional) const override {
    std::string name = CLI::Formatter::make_option_name(opt, positional);
    for (auto open = name.find('{'); open != std::string::npos; open = name.find('{')) {
      const auto close = name.find('}', open);
      if (close == std::string::npos)
        break;
      name.erase(open, close - open + 1);
    }
    return name;
  }
};

} // namespace

int main(int argc, char **argv) {
  using namespace wcli;
  install_signal_handlers();
  escape_library_log_messages();
  CLI::App app{"weightio: inspect, convert, verify and compare ML weight files (.npz, "
               ".safetensors and any format a plugin adds)",
               "weightio"};
  app.formatter(std::make_shared<Formatter>());
  app.set_version_flag("--version", std::string("weightio ") + weightio::version());
  app.require_subcommand(1);
  // Lets global options (--log-level) follow the subcommand too.
  app.fallthrough();
  std::string log_level;
  app.add_option("--log-level", log_level,
                 "weightio's log level (default: warn, or $WEIGHTIO_LOG_LEVEL)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.footer("Exit status: 0 success; 1 an input file is invalid (or diff: the files differ); "
             "2 usage error or any other failure.");

  const std::vector<Command> commands = {add_inspect(app),    add_convert(app), add_verify(app),
                                         add_diff(app),       add_plugins(app), add_demo(app),
                                         add_conformance(app)};
  refuse_standard_streams(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    // Help and version go to stdout as CLI11 writes them. Its exit codes
    // (105, 106, 109, ...) all mean "usage error" here, said in one line of
    // the tool's own, escaped like every message (it quotes the arguments).
    if (e.get_exit_code() == 0) {
      std::ostringstream err;
      app.exit(e, std::cout, err);
      return kExitOk;
    }
    std::cerr << printable(usage_error_line(app, e)) << '\n';
    return kExitFailure;
  }
  if (!log_level.empty())
    weightio::logger()->set_level(spdlog::level::from_str(log_level));

  for (const auto &c : commands)
    if (c.app->parsed())
      return run_reporting(c.app->get_name(), c.run);
  return kExitFailure; // unreachable: require_subcommand(1)
}
