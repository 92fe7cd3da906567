// weightio diff A B [--atol X] [--rtol Y]
#include "commands.hpp"
#include "errors.hpp"
#include "file_size.hpp"
#include "format_flags.hpp"
#include "human.hpp"
#include "progress.hpp"
#include "value_compare.hpp"

#include <weightio/weightio.hpp>

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

namespace wcli {

namespace {

struct DiffOptions {
  std::string a, b;
  Tolerance tol;
  FormatFlags input;
};

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

weightio::Weights load(const std::string &file, const FormatFlags &flags) {
  weightio::LoadOptions lo;
  apply_input_flags(flags, file, lo);
  ProgressBar bar("reading " + file, file_size_or_zero(file));
  lo.progress = bar.callback();
  weightio::Weights w = weightio::load_weights(file, lo);
  for (const auto &m : w.warnings)
    warn("diff", "'" + file + "': " + m);
  return w;
}

int run(const DiffOptions &o) {
  const weightio::Weights a = load(o.a, o.input);
  const weightio::Weights b = load(o.b, o.input);

  uint64_t only_a = 0, only_b = 0, changed = 0, valued = 0, same = 0, compare_bytes = 0;
  for (const auto &[name, ta] : a) {
    if (!b.contains(name)) {
      std::cout << "only in A: " << printable(name) << '\n';
      ++only_a;
    }
  }
  for (const auto &[name, tb] : b) {
    if (!a.contains(name)) {
      std::cout << "only in B: " << printable(name) << '\n';
      ++only_b;
    }
  }
  // Tensors in both, in A's order; values only where dtype and shape agree.
  for (const auto &[name, ta] : a) {
    const weightio::Tensor *tb = b.find(name);
    if (tb && ta.type_name() == tb->type_name() && ta.shape() == tb->shape())
      compare_bytes += ta.nbytes();
  }
  ProgressBar bar("comparing", compare_bytes);
  uint64_t done = 0;
  for (const auto &[name, ta] : a) {
    const weightio::Tensor *tb = b.find(name);
    if (!tb)
      continue;
    if (ta.type_name() != tb->type_name() || ta.shape() != tb->shape()) {
      bar.finish(); // a line on stdout would land in the middle of the bar
      if (ta.type_name() != tb->type_name())
        std::cout << "dtype:     " << printable(name) << ": " << ta.type_name() << " -> "
                  << tb->type_name() << '\n';
      if (ta.shape() != tb->shape())
        std::cout << "shape:     " << printable(name) << ": " << shape_string(ta.shape()) << " -> "
                  << shape_string(tb->shape()) << '\n';
      ++changed;
      continue;
    }
    const ValueDiff d = compare_values(ta, *tb, o.tol);
    bar.update(done += ta.nbytes(), compare_bytes);
    if (d.differing == 0) {
      ++same;
      continue;
    }
    ++valued;
    bar.finish();
    std::cout << "values:    " << printable(name) << ": " << grouped(d.differing) << " of "
              << grouped(d.compared)
              << (d.bytewise ? " bytes differ (compared as bytes)"
                             : " elements differ, max abs diff " + number(d.max_abs_diff));
    if (d.nan_mismatches)
      std::cout << ", " << grouped(d.nan_mismatches) << " NaN where the other has a number";
    std::cout << '\n';
  }
  bar.finish();

  const uint64_t common = same + valued + changed;
  if (only_a + only_b + changed + valued == 0) {
    std::cout << "no differences: " << counted(common, "tensor") << " equal\n";
    return kExitOk;
  }
  std::cout << "\nA: " << printable(o.a) << " (" << printable(a.format) << ", "
            << counted(a.size(), "tensor") << ")\n"
            << "B: " << printable(o.b) << " (" << printable(b.format) << ", "
            << counted(b.size(), "tensor") << ")\n"
            << only_a << " only in A, " << only_b << " only in B, " << changed
            << " with another dtype or shape, " << valued << " with different values, " << same
            << " equal\n";
  throw CliError(kExitInvalid, "'" + o.a + "' and '" + o.b + "' differ");
}

// CLI::NonNegativeNumber's message prints DBL_MAX in full; this one is short.
const CLI::Validator kNonNegative(
    [](const std::string &text) {
      double v = 0;
      return CLI::detail::lexical_cast(text, v) && v >= 0 && std::isfinite(v)
                 ? std::string()
                 : "'" + text + "' is not a finite number >= 0";
    },
    "X>=0");

} // namespace

Command add_diff(CLI::App &parent) {
  auto o = std::make_shared<DiffOptions>();
  auto *app = parent.add_subcommand(
      "diff", "Compare the tensors of two files (any formats); exit 1 if they differ");
  app->add_option("A", o->a, "The first weights file (or a sharded checkpoint's index or folder)")
      ->required()
      ->type_name("PATH");
  app->add_option("B", o->b, "The second weights file (or index or folder)")
      ->required()
      ->type_name("PATH");
  add_input_flags(app, o->input);
  app->add_option("--atol", o->tol.atol,
                  "Absolute tolerance: equal when |a - b| <= atol + rtol * |b| (numpy.allclose)")
      ->check(kNonNegative);
  app->add_option("--rtol", o->tol.rtol, "Relative tolerance (default 0: values must be equal)")
      ->check(kNonNegative);
  app->footer("Values compare exactly by default; NaN equals NaN in the same place. FP8, F4 and "
              "F6 tensors are compared byte by byte.");
  return {app, [o] { return run(*o); }};
}

} // namespace wcli
