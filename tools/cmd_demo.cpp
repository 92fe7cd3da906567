// weightio demo [DIR] [--size small|full] [--seed N]: what a host does with
// weightio, end to end, on a realistic model.
#include "commands.hpp"
#include "demo_model.hpp"
#include "exit_codes.hpp"
#include "human.hpp"
#include "progress.hpp"

#include <weightio/weightio.hpp>

#include <CLI/CLI.hpp>

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

namespace wcli {

namespace fs = std::filesystem;

namespace {

struct DemoOptions {
  std::string dir;
  std::string size = "full";
  uint64_t seed = 42;
};

// The default output folder: created private (mkdtemp), removed with its
// files however the demo ends.
class TempFolder {
public:
  TempFolder() {
    std::string tmpl = (fs::temp_directory_path() / "weightio-demo-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw CliError(kExitFailure, "cannot create a temporary folder in '" +
                                       fs::temp_directory_path().string() +
                                       "': " + std::strerror(errno));
    path_ = tmpl;
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempFolder(const TempFolder &) = delete;
  TempFolder &operator=(const TempFolder &) = delete;
  const fs::path &path() const { return path_; }

private:
  fs::path path_;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string secs(double s) {
  char buf[32];
  // Mapped loads take well under a millisecond; "0.00 s" would hide that.
  if (s < 1.0)
    std::snprintf(buf, sizeof buf, "%.1f ms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

// Byte-for-byte: what was saved is what comes back, in every tensor.
void check_equal(const weightio::FlatParams &saved, const weightio::Weights &loaded,
                 const fs::path &file) {
  const std::string where = "'" + file.string() + "': ";
  if (loaded.size() != saved.size())
    throw CliError(kExitInvalid, where + "read back " + counted(loaded.size(), "tensor") +
                                     ", saved " + std::to_string(saved.size()));
  for (const auto &[name, view] : saved) {
    const weightio::Tensor *t = loaded.find(name);
    if (t == nullptr)
      throw CliError(kExitInvalid, where + "tensor '" + name + "' is missing after loading");
    if (t->dtype() != view.dtype() || t->shape() != view.shape() ||
        std::memcmp(t->data(), view.data(), view.nbytes()) != 0)
      throw CliError(kExitInvalid,
                     where + "tensor '" + name + "' read back differs from what was saved");
  }
}

void run_format(const std::string &format, const fs::path &dir, const weightio::FlatParams &flat,
                const DemoModel &model, const DemoConfig &config) {
  const weightio::FormatInfo info = weightio::format_by_name(format);
  const fs::path file =
      dir / ("model." + (info.extensions.empty() ? format : info.extensions.front()));

  weightio::SaveOptions so; // the defaults a host gets: stored, durable (fsync)
  ProgressBar save_bar("saving " + file.filename().string(), model.nbytes);
  so.progress = save_bar.callback();
  auto t0 = std::chrono::steady_clock::now();
  weightio::save_weights(file, flat, so);
  const double save_s = seconds_since(t0);
  save_bar.finish();
  const uint64_t file_size = fs::file_size(file);

  weightio::LoadOptions lo;
  ProgressBar load_bar("loading " + file.filename().string(), file_size);
  lo.progress = load_bar.callback();
  t0 = std::chrono::steady_clock::now();
  const weightio::Weights loaded = weightio::load_weights(file, lo);
  const double load_s = seconds_since(t0);
  load_bar.finish();

  // The first touch of a mapped tensor reads it from the page cache, so the
  // check's time is part of what loading costs a host.
  t0 = std::chrono::steady_clock::now();
  check_equal(flat, loaded, file);
  const weightio::WeightTree tree = weightio::unflatten(loaded);
  const size_t layers = tree.at("model").at("layers").items().size();
  if (layers != static_cast<size_t>(config.layers))
    throw CliError(kExitInvalid, "'" + file.string() + "': the rebuilt tree has " +
                                     std::to_string(layers) + " layers, expected " +
                                     std::to_string(config.layers));
  const double check_s = seconds_since(t0);

  size_t mapped = 0;
  for (const auto &[name, t] : loaded)
    mapped += t.is_mapped();

  std::cout << '\n'
            << format << "  " << file.filename().string() << "  " << human_bytes(file_size) << '\n';
  print_table(
      std::cout,
      {{"  save", secs(save_s), human_rate(model.nbytes, save_s), "stored, fsync'd, atomic rename"},
       {"  load", secs(load_s), human_rate(model.nbytes, load_s),
        std::to_string(mapped) + " of " + counted(loaded.size(), "tensor") + " mapped (zero copy)"},
       {"  check", secs(check_s), human_rate(model.nbytes, check_s),
        "every tensor equal byte-for-byte; tree rebuilt (" + std::to_string(layers) + " layers)"}},
      {false, true, true, false});
  std::cout << "  plugin  " << printable(weightio::plugin_path_for_format(format).string()) << '\n';
}

int run(const DemoOptions &o) {
  const DemoConfig config = demo_config(o.size);
  std::optional<TempFolder> temp;
  fs::path dir;
  if (o.dir.empty()) {
    temp.emplace();
    dir = temp->path();
  } else {
    dir = o.dir;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
      throw CliError(kExitFailure, "cannot create '" + o.dir + "': " + ec.message());
  }

  auto t0 = std::chrono::steady_clock::now();
  const DemoModel model = build_demo_model(config, o.seed);
  const double build_s = seconds_since(t0);
  const weightio::FlatParams flat = weightio::flatten(model.tree);

  std::cout << "weightio " << weightio::version() << " demo: a Llama-style transformer ("
            << config.layers << " layers, d_model " << config.dim << ", vocab " << config.vocab
            << ")\n"
            << "  " << counted(flat.size(), "tensor") << ", " << grouped(model.parameters)
            << " parameters, " << human_bytes(model.nbytes)
            << " (F32 embeddings and norms, BF16 projections), built in " << secs(build_s) << '\n'
            << "  folder: " << printable(dir.string()) << (temp ? " (removed afterwards)" : "")
            << '\n';
  std::cout.flush();

  for (const char *format : {"npz", "safetensors", "gguf"})
    run_format(format, dir, flat, model, config);
  std::cout << "\nok: all three formats round-trip every tensor\n";
  return 0;
}

} // namespace

Command add_demo(CLI::App &parent) {
  auto o = std::make_shared<DemoOptions>();
  auto *app = parent.add_subcommand(
      "demo", "Save a generated transformer to .npz, .safetensors and .gguf, load each back, "
              "check them and show the throughput");
  app->add_option(
         "DIR", o->dir,
         "Folder for model.npz, model.safetensors and model.gguf (kept); default: a temporary "
         "folder removed afterwards")
      ->type_name("PATH");
  app->add_option("--size", o->size, "full (~380 MB) or small (~0.4 MB, for a quick check)")
      ->check(CLI::IsMember({"small", "full"}))
      ->capture_default_str();
  app->add_option("--seed", o->seed, "Seed for the generated weights")->capture_default_str();
  return {app, [o] { return run(*o); }};
}

} // namespace wcli
