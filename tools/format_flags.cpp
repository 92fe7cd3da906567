#include "format_flags.hpp"

#include "errors.hpp"
#include "exit_codes.hpp"

#include <weightio/registry.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace wcli {

namespace {

// Settles every conflict the plugin is part of (prefer_plugin for each of
// its formats' names and extensions). Returns the format it reads with: the
// one named, or the plugin's only readable one; empty when it has several.
std::string prefer(const std::string &who) {
  for (const auto &p : weightio::loaded_plugins()) {
    bool match = p.name == who;
    for (const auto &f : p.formats)
      match = match || f.name == who;
    if (!match)
      continue;
    std::vector<std::string> readers;
    for (const auto &f : p.formats) {
      weightio::prefer_plugin(f.name, p.path.string());
      for (const auto &e : f.extensions)
        weightio::prefer_plugin(e, p.path.string());
      if (f.can_read)
        readers.push_back(f.name);
    }
    if (std::find(readers.begin(), readers.end(), who) != readers.end())
      return who;
    return readers.size() == 1 ? readers.front() : std::string();
  }
  std::string names;
  for (const auto &p : weightio::loaded_plugins())
    names += (names.empty() ? "" : ", ") + p.name;
  throw CliError(kExitFailure, "--plugin '" + who +
                                   "': no loaded plugin or format has that name (loaded: " + names +
                                   ")");
}

// Whether the format that would read `file` holds block-quantized types:
// for the others --dequantize has nothing to do (diff gives it to both of
// its files).
bool holds_block_types(const std::string &file, const std::string &format) {
  try {
    const auto f =
        format.empty()
            ? weightio::format_for_extension(std::filesystem::path(file).extension().string())
            : weightio::format_by_name(format);
    return !f.block_types.empty();
  } catch (const weightio::Error &) {
    return true; // unknown extension: probing picks the reader, the core checks
  }
}

} // namespace

std::map<std::string, std::string> parse_pairs(const std::vector<std::string> &pairs,
                                               const std::string &flag) {
  std::map<std::string, std::string> out;
  for (const auto &p : pairs) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      throw CliError(kExitFailure, flag + " '" + p + "' is not NAME=VALUE");
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return out;
}

void add_input_flags(CLI::App *app, FormatFlags &flags) {
  app->add_option("--plugin", flags.plugin,
                  "Read with this plugin (its name or one of its formats' names), and use it where "
                  "two plugins claim an extension or content")
      ->type_name("NAME");
  app->add_option("--input-option", flags.input_options,
                  "A load option of the input's format (repeatable; `weightio plugins` lists "
                  "them)")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  app->add_option("--dequantize", flags.dequantize,
                  "Turn block-quantized tensors (GGUF's Q4_0, Q8_0, ...) into this float type")
      ->check(CLI::IsMember({"f32", "f16", "bf16"}))
      ->type_name("f32|f16|bf16");
}

void apply_input_flags(const FormatFlags &flags, const std::string &file, weightio::LoadOptions &lo,
                       bool force_reader) {
  // With force_reader the input is read with the chosen plugin whatever its
  // extension says (a ZIP named .safetensors reads as npz with --plugin npz).
  if (!flags.plugin.empty()) {
    const std::string format = prefer(flags.plugin);
    if (force_reader)
      lo.format = format;
  }
  lo.format_options = parse_pairs(flags.input_options, "--input-option");
  // The core refuses a format with block types that cannot dequantize them.
  if (!flags.dequantize.empty() && holds_block_types(file, lo.format)) {
    std::string name = flags.dequantize; // f32|f16|bf16, checked by the parser
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    lo.dequantize = weightio::dtype_from_name(name);
  }
}

} // namespace wcli
