#include "usage_errors.hpp"

namespace wcli {

namespace {

bool ends_with(const std::string &s, const std::string &tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The command the error is about: the deepest one the parser entered.
std::string command_of(const CLI::App &app) {
  std::string name = app.get_name();
  const CLI::App *at = &app;
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (const CLI::App *sub : at->get_subcommands())
      if (sub->parsed()) {
        name += " " + sub->get_name();
        at = sub;
        deeper = true;
        break;
      }
  }
  return name;
}

std::string commands_list(const CLI::App &app) {
  std::string out;
  for (const CLI::App *sub : app.get_subcommands({}))
    out += (out.empty() ? "" : ", ") + sub->get_name();
  return out;
}

// What went wrong, in the tool's words where CLI11's are its own.
std::string what_of(const CLI::App &app, const CLI::ParseError &e) {
  const std::string msg = e.what();
  const std::string kind = e.get_name();
  if (kind == "RequiredError") {
    if (msg.find("subcommand") != std::string::npos)
      return "no command given: name one of " + commands_list(app);
    if (ends_with(msg, " is required"))
      return "missing " + msg.substr(0, msg.size() - std::string(" is required").size());
  }
  if (msg.rfind("The following argument", 0) == 0) { // CLI11's ExtrasError
    const auto colon = msg.find(": ");
    if (colon != std::string::npos)
      return "unexpected argument" + std::string(msg.find("were") != std::string::npos ? "s" : "") +
             " " + msg.substr(colon + 2);
  }
  if (kind == "ArgumentMismatch") {
    const auto colon = msg.find(':');
    if (colon != std::string::npos && msg.find("missing") != std::string::npos)
      return msg.substr(0, colon) + " needs a value";
  }
  return msg;
}

} // namespace

void refuse_standard_streams(CLI::App &app) {
  static const CLI::Validator not_a_stream(
      [](const std::string &value) -> std::string {
        if (value == "-")
          return "'-' would be standard input or output, which weightio does not read or write: "
                 "name a file (./- for a file named '-')";
        return {};
      },
      "", "file, not a stream");
  for (CLI::App *sub : app.get_subcommands({}))
    for (CLI::Option *opt : sub->get_options())
      if (opt->get_type_name() == "PATH")
        opt->check(not_a_stream);
}

std::string usage_error_line(const CLI::App &app, const CLI::ParseError &e) {
  const std::string command = command_of(app);
  return command + ": " + what_of(app, e) + "; see '" + command + " --help'";
}

} // namespace wcli
