// weightio convert IN OUT [--compress[=LEVEL]] [--metadata KEY=VALUE]... [--format NAME]
//                 [--max-shard-size SIZE] [--force]
#include "commands.hpp"
#include "errors.hpp"
#include "file_size.hpp"
#include "format_flags.hpp"
#include "human.hpp"
#include "progress.hpp"
#include "signals.hpp"
#include "size_arg.hpp"

#include <weightio/weightio.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <optional>

namespace wcli {

namespace fs = std::filesystem;

namespace {

// A file of OUT's stem's shard pattern (`model-00001-of-00003.gguf`) when
// OUT's format keeps its sets without an index (GGUF split sets): a save
// to OUT replaces such a set, so it counts as OUT existing.
std::optional<std::string> existing_split_shard(const fs::path &out, const std::string &format) {
  std::string ext = out.extension().string();
  if (!ext.empty())
    ext.erase(0, 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  bool split_keys = false;
  for (const auto &p : weightio::loaded_plugins())
    for (const auto &f : p.formats)
      if (format.empty() ? std::count(f.extensions.begin(), f.extensions.end(), ext) != 0
                         : f.name == format)
        split_keys = split_keys || f.split_keys;
  if (!split_keys)
    return std::nullopt;
  const std::string stem = out.stem().string(), suffix = out.extension().string();
  const fs::path dir = out.has_parent_path() ? out.parent_path() : fs::path(".");
  std::error_code ec;
  for (const auto &e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= stem.size() + suffix.size() || name.compare(0, stem.size(), stem) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    // "-00001-of-00003" between the stem and the extension
    const std::string mid = name.substr(stem.size(), name.size() - stem.size() - suffix.size());
    const size_t of = mid.find("-of-");
    auto digits = [](const std::string &s) {
      return !s.empty() &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (mid.size() > 1 && mid[0] == '-' && of != std::string::npos &&
        digits(mid.substr(1, of - 1)) && digits(mid.substr(of + 4)))
      return (dir / name).string();
  }
  return std::nullopt;
}

struct ConvertOptions {
  std::string in, out, format;
  std::vector<std::string> metadata;
  std::string compress;       // empty: not given; "default": given without a level
  std::string max_shard_size; // empty: one output file
  bool force = false;
  std::vector<std::string> options; // --option NAME=VALUE for OUT's format
  FormatFlags input;
};

// "0".."9" -> the level; nullopt for anything else ("default" included).
std::optional<int> compression_level(const std::string &text) {
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '9')
    return text[0] - '0';
  return std::nullopt;
}

weightio::Metadata parse_metadata(const std::vector<std::string> &pairs) {
  weightio::Metadata md;
  for (const auto &[k, v] : parse_pairs(pairs, "--metadata"))
    md[k] = v;
  return md;
}

// The output's format as the save will resolve it; nullopt when it can't be
// resolved, so that save_weights reports why with the output file's name.
std::optional<weightio::FormatInfo> output_format(const ConvertOptions &o) {
  try {
    if (!o.format.empty())
      return weightio::format_by_name(o.format);
    return weightio::format_for_extension(fs::path(o.out).extension().string());
  } catch (const weightio::Error &) {
    return std::nullopt;
  }
}

// The type of a value the output format can't hold, as the warning names
// it: with its nesting when that is what the format lacks.
std::string held_type(const weightio::Value &v, const weightio::FormatInfo &f) {
  std::string type(weightio::value_type_name(v.type()));
  if (f.max_array_depth != 0 && v.depth() > f.max_array_depth)
    type += " nested " + std::to_string(v.depth()) + " deep, over the format's " +
            std::to_string(f.max_array_depth);
  return type;
}

void load_and_save(const ConvertOptions &o, const weightio::Metadata &extra,
                   uint64_t max_shard_bytes) {
  weightio::LoadOptions lo;
  // --plugin settles conflicts for both files; it does not override IN's
  // extension, which may name another format than OUT's.
  apply_input_flags(o.input, o.in, lo, /*force_reader=*/false);
  ProgressBar load_bar("reading " + o.in, file_size_or_zero(o.in));
  lo.progress = load_bar.callback();
  const weightio::Weights w = weightio::load_weights(o.in, lo);
  load_bar.finish();

  const auto fmt = output_format(o);
  weightio::SaveOptions so;
  so.format = o.format;
  so.max_shard_bytes = max_shard_bytes;
  so.compression = o.compress.empty() ? 0 : compression_level(o.compress).value_or(-1);
  so.format_options = parse_pairs(o.options, "--option");
  // What the input holds goes over when the output can hold it; what the
  // user asked for explicitly goes to save_weights regardless, so that a
  // format that can't hold it refuses (exit 2) before anything is written.
  std::vector<std::string> dropped;
  for (const auto &[k, v] : w.metadata) {
    if (extra.count(k))
      continue;
    if (!fmt || weightio::format_holds(*fmt, v))
      so.metadata.set(k, v);
    else
      dropped.push_back("'" + k + "'" + (fmt->metadata ? " (" + held_type(v, *fmt) + ")" : ""));
  }
  for (const auto &[k, v] : extra)
    so.metadata[k] = v;
  for (const auto &m : w.warnings)
    warn("convert", "'" + o.in + "': " + m);

  uint64_t total = 0;
  for (const auto &[name, t] : w)
    total += t.nbytes();
  ProgressBar save_bar("writing " + o.out, total);
  so.progress = save_bar.callback();
  weightio::SaveResult saved;
  try {
    saved = weightio::save_weights(o.out, w.views(), so);
  } catch (const weightio::UnsupportedError &e) {
    // The library cannot know the CLI's flag; a quantized tensor the output
    // can't hold is fixed by it.
    const auto *t = e.tensor().empty() ? nullptr : w.find(e.tensor());
    if (e.code() != weightio::ErrorCode::UnsupportedDType || t == nullptr ||
        t->block_type() == nullptr)
      throw;
    throw weightio::UnsupportedError(
        e.code(), std::string(e.what()) + "; --dequantize f32|f16|bf16 turns it into floats",
        e.file(), e.tensor());
  }
  save_bar.finish();
  for (const auto &m : saved.warnings)
    warn("convert", "'" + o.out + "': " + m);

  if (!dropped.empty()) {
    std::string keys;
    for (const auto &k : dropped)
      keys += (keys.empty() ? "" : ", ") + k;
    warn("convert", "'" + o.out + "': the " + fmt->name + " format holds " +
                        (fmt->metadata ? "no metadata of these types" : "no metadata") +
                        "; not kept: " + keys + " (from '" + o.in + "')");
  }
}

CliError interrupted_error(int sig, const std::string &what) {
  return CliError(static_cast<ExitCode>(kExitSignalBase + sig),
                  "interrupted by " + signal_name(sig) + "; " + what);
}

int run(const ConvertOptions &o) {
  const weightio::Metadata extra = parse_metadata(o.metadata);
  uint64_t max_shard_bytes = 0;
  if (!o.max_shard_size.empty()) {
    const auto size = parse_size(o.max_shard_size);
    if (!size)
      throw CliError(kExitFailure, "--max-shard-size '" + o.max_shard_size +
                                       "' is not a size (bytes, or a number with KB, MB, GB, TB, "
                                       "KiB, MiB, GiB or TiB)");
    max_shard_bytes = *size;
  }
  // A sharded output replaces OUT's index and shards as well as OUT itself.
  bool out_exists = false;
  for (const std::string &existing : {o.out, o.out + ".index.json"}) {
    std::error_code ec;
    const auto status = fs::symlink_status(existing, ec);
    // When the path can't even be examined (ec set), the save reports why.
    const bool exists = !ec && status.type() != fs::file_type::not_found;
    out_exists = out_exists || exists;
    if (!o.force && exists)
      throw CliError(kExitFailure, "'" + existing +
                                       "' exists; refusing to overwrite it (use --force to "
                                       "replace it)");
  }
  if (auto shard = existing_split_shard(o.out, o.format)) {
    out_exists = true;
    if (!o.force)
      throw CliError(kExitFailure, "'" + *shard +
                                       "' exists, a shard of the set at OUT; refusing to "
                                       "overwrite it (use --force to replace the set)");
  }
  const std::string untouched =
      "'" + o.out + "' " + (out_exists ? "is unchanged" : "was not created");

  // Said by the SIGBUS handler, which can only write bytes prepared ahead.
  on_input_fault("convert", printable("'" + o.in +
                                      "' changed while it was being read (another "
                                      "process truncated it?); the temporary file was removed "
                                      "and " +
                                      untouched));
  // An interrupt cancels the load or the save at its next progress call: the
  // save then removes its temporary file and leaves the old file as it was.
  InterruptScope interrupts;
  try {
    load_and_save(o, extra, max_shard_bytes);
  } catch (const weightio::Error &e) {
    if (const int sig = interrupted(); sig != 0 && e.code() == weightio::ErrorCode::Cancelled)
      throw interrupted_error(sig, "the temporary file was removed and " + untouched);
    throw;
  }
  // Too late to cancel: the last progress call had passed.
  if (const int sig = interrupted(); sig != 0)
    throw interrupted_error(sig, "'" + o.out + "' had already been saved in full");
  return 0;
}

} // namespace

Command add_convert(CLI::App &parent) {
  auto o = std::make_shared<ConvertOptions>();
  auto *app = parent.add_subcommand(
      "convert", "Load IN and save its tensors (and metadata, where OUT's format holds it) to OUT");
  app->add_option("IN", o->in,
                  "The input weights file, or a sharded checkpoint's *.index.json or folder")
      ->required()
      ->type_name("PATH");
  app->add_option("OUT", o->out, "The output file; its extension picks the format")
      ->required()
      ->type_name("PATH");
  // A flag with a default value: "--compress" alone means the format's
  // default level, "--compress=6" a level. A separate word ("--compress 6")
  // would be read as a third file, which the parser refuses. The value is
  // kept as text: CLI11 reads "=0" on an integer flag as "off", i.e. the
  // flag's default, and level 0 (stored) must stay expressible.
  app->add_flag("--compress{default}", o->compress,
                "Compress (npz: deflate) at the format's default level, or at =LEVEL from 0 "
                "(stored) to 9")
      ->check(CLI::Validator(
          [](const std::string &v) {
            return v == "default" || compression_level(v)
                       ? std::string()
                       : "'" + v + "' is not a level from 0 to 9";
          },
          ""))
      ->type_name("[=LEVEL]");
  app->add_option("--metadata", o->metadata,
                  "Add or replace a metadata entry (repeatable); exit 2 if OUT's format holds "
                  "no metadata")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  app->add_option("--format", o->format,
                  "Output format by name (npz, safetensors, ...) when OUT's extension doesn't "
                  "name one")
      ->type_name("NAME");
  app->add_option("--max-shard-size", o->max_shard_size,
                  "Shard the output as Hugging Face transformers does (OUT's stem-0000i-of-0000N "
                  "files plus OUT.index.json) with at most SIZE bytes of tensors per shard: "
                  "bytes, or KB/MB/GB/TB (powers of 1000), KiB/MiB/GiB/TiB (powers of 1024)")
      ->type_name("SIZE");
  app->add_flag("-f,--force", o->force, "Replace OUT (and its index and shards) if it exists");
  app->add_option("--option", o->options,
                  "A save option of OUT's format (repeatable; `weightio plugins` lists them)")
      ->type_name("NAME=VALUE")
      ->allow_extra_args(false);
  add_input_flags(app, o->input);
  return {app, [o] { return run(*o); }};
}

} // namespace wcli
