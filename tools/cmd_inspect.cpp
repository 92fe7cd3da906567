// weightio inspect FILE|INDEX|FOLDER [--json] [--hash]
#include "commands.hpp"
#include "errors.hpp"
#include "file_size.hpp"
#include "format_flags.hpp"
#include "human.hpp"
#include "json_out.hpp"
#include "metadata_view.hpp"
#include "progress.hpp"
#include "sha256.hpp"

#include <weightio/weightio.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace wcli {

namespace {

struct InspectOptions {
  std::string file;
  bool json = false;
  bool hash = false;
  FormatFlags input;
};

// One hash per tensor, computed up front so a long hash run can show a bar.
std::vector<std::string> tensor_hashes(const weightio::Weights &w, const std::string &file) {
  uint64_t total = 0;
  for (const auto &[name, t] : w)
    total += t.nbytes();
  ProgressBar bar("hashing " + file, total);
  std::vector<std::string> out;
  uint64_t done = 0;
  for (const auto &[name, t] : w) {
    out.push_back(sha256_hex(t.data(), t.nbytes()));
    bar.update(done += t.nbytes(), total);
  }
  return out;
}

bool is_index(const weightio::CheckpointLayout &layout) {
  const std::string e = layout.entry.string();
  constexpr std::string_view suffix = ".index.json";
  return e.size() >= suffix.size() &&
         e.compare(e.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Streamed rather than built as one JSON value: a file of a million tensors
// would need ~600 bytes of JSON nodes per tensor before the first byte out.
void print_json_report(const InspectOptions &o, const weightio::Weights &w,
                       const weightio::CheckpointLayout &layout,
                       const std::vector<std::string> &hashes) {
  JsonObjectStream j(std::cout);
  j.member("schema", std::string(kInspectSchema));
  j.member("file", o.file);
  j.member("format", w.format);
  if (layout.sharded) {
    // A set without an index (GGUF split) is named by its first shard.
    if (is_index(layout)) {
      j.member("index", layout.entry.string());
    } else {
      j.member("index", nullptr);
      j.member("first_shard", layout.entry.string());
    }
    auto index_metadata = nlohmann::ordered_json::object();
    for (const auto &[k, v] : layout.index_metadata)
      index_metadata[k] = v;
    j.member("index_metadata", index_metadata);
    auto shards = nlohmann::ordered_json::array();
    for (const auto &s : layout.shards)
      shards.push_back({{"file", s.file}, {"tensors", s.tensors.size()}, {"bytes", s.file_bytes}});
    j.member("shards", shards);
  }
  if (!w.warnings.empty())
    j.member("warnings", w.warnings);
  j.begin_array("metadata");
  for (const auto &[k, v] : w.metadata)
    write_metadata_entry(j.item(), k, v);
  j.end_array();
  // One line per tensor.
  j.begin_array("tensors");
  size_t i = 0;
  for (const auto &[name, t] : w) {
    std::ostream &out = j.item();
    write_tensor_fields(out, name, t);
    if (o.hash) {
      // Only a load that placed the bytes has a placement to report.
      out << ",\"placement\":\"" << weightio::placement_name(t.placement()) << '"';
      out << ",\"sha256\":";
      write_json_string(out, hashes[i]);
    }
    out << '}';
    ++i;
  }
  j.end_array();
  j.finish();
}

// The index's metadata and one row per shard: file, tensors, bytes.
void print_shards(const weightio::CheckpointLayout &layout) {
  std::cout << (is_index(layout) ? "index     " : "set       ") << printable(layout.entry.string())
            << (is_index(layout) ? "" : "  (no index: split.* keys in the shards)") << '\n';
  bool first = true;
  for (const auto &[k, v] : layout.index_metadata) {
    std::cout << (first ? "index md  " : "          ") << printable(k) << " = " << printable(v)
              << '\n';
    first = false;
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"shard", "tensors", "bytes"});
  uint64_t bytes = 0;
  for (const auto &s : layout.shards) {
    rows.push_back({printable(s.file), grouped(s.tensors.size()), grouped(s.file_bytes)});
    bytes += s.file_bytes;
  }
  std::cout << '\n';
  print_table(std::cout, rows, {false, true, true});
  std::cout << layout.shards.size() << " shards, " << grouped(bytes) << " bytes ("
            << human_bytes(bytes) << ")\n\n";
}

void print_text(const InspectOptions &o, const weightio::Weights &w,
                const weightio::CheckpointLayout &layout, const std::vector<std::string> &hashes) {
  std::cout << "file      " << printable(o.file) << '\n';
  std::cout << "format    " << printable(w.format) << '\n';
  if (w.metadata.empty()) {
    std::cout << "metadata  (none)\n";
  } else {
    bool first = true;
    for (const auto &[k, v] : w.metadata) {
      std::cout << (first ? "metadata  " : "          ") << printable(k) << " = " << value_text(v)
                << '\n';
      first = false;
    }
  }
  std::cout << '\n';
  if (layout.sharded)
    print_shards(layout);

  // Rows are made as they are printed: a table of a million tensors would
  // otherwise hold ~200 bytes of strings per tensor at once.
  uint64_t bytes = 0, elements = 0;
  for (const auto &[name, t] : w) {
    bytes += t.nbytes();
    elements += t.numel();
  }
  const auto row = [&](size_t i, std::vector<std::string> &cells) {
    if (i == 0) {
      cells = {"name", "dtype", "shape", "bytes"};
      if (o.hash)
        cells.push_back("sha256");
      return;
    }
    const auto &[name, t] = *(w.begin() + static_cast<std::ptrdiff_t>(i - 1));
    cells.push_back(printable(name));
    cells.emplace_back(t.type_name());
    cells.push_back(shape_string(t.shape()));
    cells.push_back(grouped(t.nbytes()));
    if (o.hash)
      cells.push_back(hashes[i - 1]);
  };
  print_table(std::cout, w.size() + 1, row, {false, false, false, true, false});
  std::cout << '\n'
            << counted(w.size(), "tensor") << ", " << grouped(elements) << " elements, "
            << grouped(bytes) << " bytes (" << human_bytes(bytes) << ")\n";
}

int run(const InspectOptions &o) {
  weightio::LoadOptions lo;
  apply_input_flags(o.input, o.file, lo);
  ProgressBar bar("reading " + o.file, file_size_or_zero(o.file));
  lo.progress = bar.callback();
  // Without --hash only the header is needed: nothing is inflated or
  // decoded (a deflate bomb is described at once).
  lo.describe_only = !o.hash;
  const weightio::Weights w = weightio::load_weights(o.file, lo);
  bar.finish();
  for (const auto &m : w.warnings)
    warn("inspect", "'" + o.file + "': " + m);
  const auto layout = weightio::describe_checkpoint(o.file);
  const auto hashes = o.hash ? tensor_hashes(w, o.file) : std::vector<std::string>{};
  if (o.json)
    print_json_report(o, w, layout, hashes);
  else
    print_text(o, w, layout, hashes);
  return 0;
}

} // namespace

Command add_inspect(CLI::App &parent) {
  auto o = std::make_shared<InspectOptions>();
  auto *app = parent.add_subcommand(
      "inspect", "Show a weights file's format, metadata and tensors (name, dtype, shape, bytes)");
  app->add_option("FILE", o->file,
                  "The weights file (.npz, .safetensors, ...), or a sharded checkpoint's "
                  "*.index.json or folder (adds the index metadata and a shard table)")
      ->required()
      ->type_name("PATH");
  add_input_flags(app, o->input);
  app->add_flag("--json", o->json,
                "Print one JSON object (schema \"weightio.inspect/1\", docs/CLI.md): {schema, "
                "file, format, [index, index_metadata, shards: [{file, tensors, bytes}]], "
                "[warnings], metadata, tensors: [{name, dtype, shape, nbytes, [placement, "
                "sha256]}]}");
  app->add_flag("--hash", o->hash,
                "Load the bytes and add each tensor's SHA-256 (C order, little-endian) and, "
                "with --json, its placement (mapped, copied, gathered, decoded)");
  return {app, [o] { return run(*o); }};
}

} // namespace wcli
