// weightio verify FILE
#include "commands.hpp"
#include "errors.hpp"
#include "file_size.hpp"
#include "format_flags.hpp"
#include "human.hpp"
#include "progress.hpp"

#include <weightio/weightio.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace wcli {

namespace {

int run(const std::string &file, const FormatFlags &flags) {
  weightio::LoadOptions lo;
  apply_input_flags(flags, file, lo);
  // Every check the reader has, including CRCs of entries it would skip.
  lo.verify = true;
  // The checks, not the bytes: npz streams each member's CRC through a small
  // buffer, so a huge (or hostile) member costs no memory.
  lo.describe_only = true;
  ProgressBar bar("verifying " + file, file_size_or_zero(file));
  lo.progress = bar.callback();
  const weightio::Weights w = weightio::load_weights(file, lo);
  bar.finish();
  for (const auto &m : w.warnings)
    warn("verify", "'" + file + "': " + m);
  std::cout << "ok: " << counted(w.size(), "tensor") << '\n';
  return 0;
}

} // namespace

Command add_verify(CLI::App &parent) {
  auto file = std::make_shared<std::string>();
  auto flags = std::make_shared<FormatFlags>();
  auto *app = parent.add_subcommand(
      "verify", "Check a weights file fully (structure, limits, every CRC); exit 1 if invalid");
  app->add_option("FILE", *file,
                  "The weights file, or a sharded checkpoint's *.index.json or folder")
      ->required()
      ->type_name("PATH");
  add_input_flags(app, *flags);
  return {app, [file, flags] { return run(*file, *flags); }};
}

} // namespace wcli
