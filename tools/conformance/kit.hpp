// `weightio conformance`: the checks every format plugin is put through
// (docs/CONFORMANCE.md lists their ids). Built on the public API and the
// plugin ABI header only, so it sees a plugin exactly as a host does.
#pragma once

#include <weightio/plugin_abi.h>
#include <weightio/weightio.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wcli::conformance {

enum class Status { Pass, Fail, Skip };

struct CheckResult {
  std::string id; // stable, e.g. "robustness.truncation"
  Status status = Status::Pass;
  std::string detail; // what failed (tensor, dtype, offset, input) or why skipped
};

std::string_view status_name(Status s) noexcept;

struct KitOptions {
  uint64_t seed = 0;
  bool thorough = false;
  std::filesystem::path vectors;  // empty: the vectors check is skipped
  double time_limit_s = 10;       // per input / per check step in a child
  std::filesystem::path work_dir; // scratch files (a fresh temporary folder)
};

// The plugin under test as the host loaded it, plus its raw descriptor.
struct Target {
  std::filesystem::path path;
  weightio::PluginInfo info;
  void *handle = nullptr; // our own dlopen of the same library
  const wio_plugin *descriptor = nullptr;
};

// The raw format descriptor of `format` (by name); nullptr if absent.
const wio_format *raw_format(const Target &t, const std::string &format);

// Each family appends its results. All run plugin code in child processes
// (child.hpp), so a crash, hang or balloon becomes a failed check.
void check_contract(const Target &t, const KitOptions &o, std::vector<CheckResult> &out);
void check_roundtrip(const Target &t, const KitOptions &o, std::vector<CheckResult> &out);
void check_determinism(const Target &t, const KitOptions &o, std::vector<CheckResult> &out);
void check_refusals(const Target &t, const KitOptions &o, std::vector<CheckResult> &out);
void check_probe(const Target &t, const KitOptions &o, std::vector<CheckResult> &out);
void check_robustness(const Target &t, const KitOptions &o, std::vector<CheckResult> &out);
void check_concurrency(const Target &t, const KitOptions &o, std::vector<CheckResult> &out);
void check_vectors(const Target &t, const KitOptions &o, std::vector<CheckResult> &out);

} // namespace wcli::conformance
