// The tool's own words for its command line: a slip in the arguments (a
// missing or extra argument, a flag without its value, standard input where
// a file is needed) is one line in the tool's voice, naming the command and
// where its help is, instead of the parser library's text.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace wcli {

// Refuses "-" for every PATH argument of every command: the tool reads and
// writes files it can map and replace atomically, never a pipe.
void refuse_standard_streams(CLI::App &app);

// One line for a parse error of `app` (help and version requests excluded):
// "weightio COMMAND: WHAT; see 'weightio COMMAND --help'".
std::string usage_error_line(const CLI::App &app, const CLI::ParseError &e);

} // namespace wcli
