// weightio verify FILE [--json]
#include "commands.hpp"
#include "errors.hpp"
#include "file_size.hpp"
#include "format_flags.hpp"
#include "human.hpp"
#include "json_out.hpp"
#include "progress.hpp"

#include <weightio/weightio.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace wcli {

namespace {

struct VerifyOptions {
  std::string file;
  bool json = false;
  FormatFlags input;
};

// Streamed as inspect's report is: one line per tensor, nothing kept.
void print_json_report(const VerifyOptions &o, const weightio::Weights &w) {
  JsonObjectStream j(std::cout);
  j.member("schema", std::string(kVerifySchema));
  j.member("file", o.file);
  j.member("format", w.format);
  if (!w.warnings.empty())
    j.member("warnings", w.warnings);
  j.begin_array("tensors");
  for (const auto &[name, t] : w) {
    std::ostream &out = j.item();
    write_tensor_fields(out, name, t);
    out << ",\"placement\":\"" << weightio::placement_name(t.placement()) << "\"}";
  }
  j.end_array();
  j.finish();
}

int run(const VerifyOptions &o) {
  weightio::LoadOptions lo;
  apply_input_flags(o.input, o.file, lo);
  // Every check the reader has, including CRCs of entries it would skip.
  lo.verify = true;
  // The checks, not the bytes: npz streams each member's CRC through a small
  // buffer, so a huge (or hostile) member costs no memory. A placement is
  // only known once the bytes are placed, so --json loads them as a load
  // would, at a load's memory cost.
  lo.describe_only = !o.json;
  ProgressBar bar("verifying " + o.file, file_size_or_zero(o.file));
  lo.progress = bar.callback();
  const weightio::Weights w = weightio::load_weights(o.file, lo);
  bar.finish();
  for (const auto &m : w.warnings)
    warn("verify", "'" + o.file + "': " + m);
  if (o.json)
    print_json_report(o, w);
  else
    std::cout << "ok: " << counted(w.size(), "tensor") << '\n';
  return 0;
}

} // namespace

Command add_verify(CLI::App &parent) {
  auto o = std::make_shared<VerifyOptions>();
  auto *app = parent.add_subcommand(
      "verify", "Check a weights file fully (structure, limits, every CRC); exit 1 if invalid");
  app->add_option("FILE", o->file,
                  "The weights file, or a sharded checkpoint's *.index.json or folder")
      ->required()
      ->type_name("PATH");
  add_input_flags(app, o->input);
  app->add_flag("--json", o->json,
                "Print one JSON object (schema \"weightio.verify/1\", docs/CLI.md): {schema, "
                "file, format, [warnings], tensors: [{name, dtype, shape, nbytes, "
                "placement}]}; loads the bytes to know each tensor's placement");
  return {app, [o] { return run(*o); }};
}

} // namespace wcli
