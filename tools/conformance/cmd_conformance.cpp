// weightio conformance PLUGIN [--json] [--seed N] [--thorough] [--vectors DIR]
#include "../commands.hpp"
#include "../exit_codes.hpp"
#include "../human.hpp"
#include "../json_out.hpp"
#include "kit.hpp"

#include <weightio/log.hpp>

#include <CLI/CLI.hpp>
#include <dlfcn.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <random>

namespace wcli {

namespace conformance {

std::string_view status_name(Status s) noexcept {
  return s == Status::Pass ? "pass" : s == Status::Fail ? "fail" : "skipped";
}

const wio_format *raw_format(const Target &t, const std::string &format) {
  if (!t.descriptor || !t.descriptor->formats)
    return nullptr;
  for (size_t i = 0; i < t.descriptor->format_count; ++i)
    if (const wio_format *f = t.descriptor->formats[i]; f && f->name && format == f->name)
      return f;
  return nullptr;
}

} // namespace conformance

namespace {

namespace fs = std::filesystem;
using namespace conformance;

struct Args {
  std::string plugin;
  bool json = false;
  bool thorough = false;
  std::string seed;
  std::string vectors;
  double time_limit = 10;
  std::vector<std::string> only;
};

// A scratch folder, removed on exit.
struct WorkDir {
  fs::path path;
  WorkDir() {
    std::string tmpl = (fs::temp_directory_path() / "weightio-conformance-XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
      throw CliError(kExitFailure,
                     "cannot create a temporary folder: " + std::string(std::strerror(errno)));
    path = tmpl;
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

bool looks_like_path(const std::string &s) {
  return s.find('/') != std::string::npos || (s.size() > 3 && s.ends_with(".so"));
}

// Finds (loading it if it is a file) the plugin to test; a plugin file that
// the host refuses is a failed contract.load, returned as such.
std::optional<CheckResult> resolve(const std::string &arg, Target &t) {
  if (looks_like_path(arg)) {
    std::error_code ec;
    if (!fs::is_regular_file(arg, ec))
      throw CliError(kExitFailure, "weightio conformance: no plugin file '" + arg + "'");
    t.path = fs::canonical(arg);
    try {
      weightio::add_plugin_path(t.path, true);
    } catch (const std::exception &e) {
      return CheckResult{"contract.load", Status::Fail, e.what()};
    }
    for (const auto &p : weightio::loaded_plugins())
      if (p.path == t.path)
        t.info = p;
    if (t.info.path.empty())
      return CheckResult{"contract.load", Status::Fail, "the host did not load the file"};
  } else {
    for (const auto &p : weightio::loaded_plugins()) {
      bool match = p.name == arg;
      for (const auto &f : p.formats)
        match = match || f.name == arg;
      if (match) {
        t.info = p;
        break;
      }
    }
    if (t.info.path.empty())
      throw CliError(kExitFailure, "weightio conformance: no loaded plugin or format named '" +
                                       arg + "' (see `weightio plugins`)");
    t.path = t.info.path;
  }
  // Its formats win any conflict, so every check exercises this plugin.
  for (const auto &f : t.info.formats) {
    weightio::prefer_plugin(f.name, t.path.string());
    for (const auto &e : f.extensions)
      weightio::prefer_plugin(e, t.path.string());
  }
  t.handle = dlopen(t.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  void *sym = t.handle ? dlsym(t.handle, WEIGHTIO_PLUGIN_ENTRY_SYMBOL) : nullptr;
  if (!sym)
    return CheckResult{"contract.load", Status::Fail, "no entry symbol after loading"};
  wio_plugin_entry_fn entry;
  std::memcpy(&entry, &sym, sizeof entry);
  t.descriptor = entry(WEIGHTIO_ABI_VERSION);
  return std::nullopt;
}

bool wanted(const Args &a, const std::string &family) {
  if (a.only.empty())
    return true;
  for (const auto &o : a.only)
    if (o == family || o.rfind(family + ".", 0) == 0 || family.rfind(o + ".", 0) == 0)
      return true;
  return false;
}

int run(const Args &a) {
  if (weightio::logger()->level() == spdlog::level::warn)
    weightio::logger()->set_level(spdlog::level::err); // refused inputs are expected here
  KitOptions o;
  o.thorough = a.thorough;
  o.time_limit_s = a.time_limit;
  if (!a.seed.empty()) {
    char *end = nullptr;
    o.seed = std::strtoull(a.seed.c_str(), &end, 10);
    if (a.seed.empty() || *end)
      throw CliError(kExitFailure, "weightio conformance: --seed needs a decimal number");
  } else {
    o.seed = std::random_device{}() % 1000000;
  }
  if (!a.vectors.empty()) {
    std::error_code ec;
    if (!fs::is_directory(a.vectors, ec))
      throw CliError(kExitFailure,
                     "weightio conformance: --vectors: no folder '" + a.vectors + "'");
    o.vectors = fs::absolute(a.vectors);
  }
  WorkDir work;
  o.work_dir = work.path;

  Target t;
  std::vector<CheckResult> results;
  if (auto failed = resolve(a.plugin, t)) {
    results.push_back(*failed);
  } else {
    results.push_back({"contract.load", Status::Pass,
                       "plugin '" + t.info.name + "' " + t.info.version + ", ABI " +
                           std::to_string(t.info.abi_version)});
    using Family = void (*)(const Target &, const KitOptions &, std::vector<CheckResult> &);
    const std::pair<const char *, Family> families[] = {{"contract", check_contract},
                                                        {"roundtrip", check_roundtrip},
                                                        {"determinism", check_determinism},
                                                        {"refusals", check_refusals},
                                                        {"probe", check_probe},
                                                        {"robustness", check_robustness},
                                                        {"concurrency", check_concurrency},
                                                        {"vectors", check_vectors}};
    for (const auto &[name, fn] : families)
      if (wanted(a, name)) {
        std::vector<CheckResult> got;
        fn(t, o, got);
        for (auto &r : got)
          if (wanted(a, r.id))
            results.push_back(std::move(r));
      }
  }
  const bool failed = std::any_of(results.begin(), results.end(),
                                  [](const CheckResult &r) { return r.status == Status::Fail; });
  if (a.json) {
    nlohmann::ordered_json j;
    j["plugin"] = {{"name", t.info.name}, {"version", t.info.version}, {"path", t.path.string()}};
    j["seed"] = o.seed;
    j["thorough"] = o.thorough;
    j["checks"] = nlohmann::ordered_json::array();
    for (const auto &r : results)
      j["checks"].push_back(
          {{"id", r.id}, {"result", std::string(status_name(r.status))}, {"detail", r.detail}});
    j["passed"] = !failed;
    print_json(std::cout, j, 2);
  } else {
    std::cout << "weightio conformance: " << printable(t.path.empty() ? a.plugin : t.path.string())
              << " (seed " << o.seed << (o.thorough ? ", thorough" : "") << ")\n";
    std::vector<std::vector<std::string>> rows = {{"CHECK", "RESULT", "DETAIL"}};
    for (const auto &r : results)
      rows.push_back({r.id, std::string(status_name(r.status)), printable(r.detail)});
    print_table(std::cout, rows, {false, false, false});
    std::cout << (failed ? "FAILED" : "passed") << " (replay with --seed " << o.seed << ")\n";
  }
  return failed ? kExitInvalid : kExitOk;
}

} // namespace

Command add_conformance(CLI::App &parent) {
  auto a = std::make_shared<Args>();
  auto *app = parent.add_subcommand(
      "conformance",
      "Check a format plugin against the plugin contract and reference files; exit 1 if a "
      "check fails (docs/CONFORMANCE.md)");
  app->add_option("PLUGIN", a->plugin,
                  "A plugin file (weightio_NAME.so) or a loaded plugin's "
                  "or format's name")
      ->required();
  app->add_flag("--json", a->json, "Print the results as JSON");
  app->add_option("--seed", a->seed, "Seed for random inputs (default: a new one, printed)");
  app->add_flag("--thorough", a->thorough,
                "Every truncation length of files up to 64 KiB, and more mutations");
  app->add_option("--vectors", a->vectors,
                  "A folder of reference vector sets (*.json, docs/CONFORMANCE.md)")
      ->type_name("DIR");
  app->add_option("--time-limit", a->time_limit,
                  "Seconds a plugin may run without progress before it counts as hung")
      ->check(CLI::Range(0.1, 3600.0));
  app->add_option("--only", a->only, "Run only these checks (ids or families, e.g. probe)")
      ->delimiter(',');
  return {app, [a] { return run(*a); }};
}

} // namespace wcli
