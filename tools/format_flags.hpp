// Flags every command that reads or writes files shares: --plugin to settle
// two plugins claiming one extension or magic, --input-option / --option
// for a format's own options, and --dequantize for block-quantized inputs.
#pragma once

#include <weightio/io.hpp>

#include <map>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace wcli {

struct FormatFlags {
  std::string plugin;
  std::vector<std::string> input_options; // NAME=VALUE
  std::string dequantize;                 // "", f32, f16, bf16
};

// Adds --plugin, --input-option and --dequantize to a command.
void add_input_flags(CLI::App *app, FormatFlags &flags);

// Applies --plugin (prefer_plugin for each of its formats' names and
// extensions; with `force_reader`, also reads `file` with it whatever its
// extension) and fills `lo` for reading `file`. Throws CliError for a
// malformed NAME=VALUE or an unknown plugin.
void apply_input_flags(const FormatFlags &flags, const std::string &file, weightio::LoadOptions &lo,
                       bool force_reader = true);

// NAME=VALUE pairs -> map; `flag` names the option in errors.
std::map<std::string, std::string> parse_pairs(const std::vector<std::string> &pairs,
                                               const std::string &flag);

} // namespace wcli
