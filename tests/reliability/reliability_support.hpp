// Helpers shared by the reliability tests: the formats to run each fault
// against, child processes, and "what is in this folder".
#pragma once

#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace wrel {

namespace fs = std::filesystem;

// Every format a fault is run against: the plain-C test plugin always, the
// bundled ones when they are built (they are found next to libweightio).
inline std::vector<std::string> save_formats() {
  wtest::load_test_plugin("rawt");
  std::vector<std::string> out{"rawt"};
  for (const char *name : {"npz", "safetensors"}) {
    try {
      if (weightio::format_by_name(name).can_write)
        out.push_back(name);
    } catch (const weightio::Error &) {
    }
  }
  return out;
}

// Names in `dir`, except `keep`.
inline std::vector<std::string> others(const fs::path &dir, const std::string &keep = {}) {
  std::vector<std::string> out;
  for (auto &e : fs::directory_iterator(dir))
    if (e.path().filename() != keep)
      out.push_back(e.path().filename().string());
  return out;
}

// Runs `body` in a forked child and returns its wait status. The child ends
// with _exit(body()), or 98 when body throws a weightio::Error (printed), or
// 99 for anything else, so that it never runs the parent's atexit handlers
// or test teardown. Load plugins before forking: the child then inherits the
// registry as it is.
inline int in_child(const std::function<int()> &body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    int rc = 99;
    try {
      rc = body();
    } catch (const weightio::Error &e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      rc = 98;
    } catch (...) {
    }
    std::fflush(nullptr);
    ::_exit(rc);
  }
  int status = -1;
  ::waitpid(pid, &status, 0);
  return status;
}

inline int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// n floats of `value` each, as one tensor per `chunks` (so writers report
// progress between them).
struct Payload {
  std::vector<std::vector<float>> data;
  weightio::FlatParams params;
  Payload(size_t floats_per_tensor, int tensors, float value) {
    data.resize(static_cast<size_t>(tensors));
    for (int i = 0; i < tensors; ++i) {
      data[i].assign(floats_per_tensor, value);
      params.emplace("t" + std::to_string(i),
                     weightio::TensorView(weightio::DType::F32,
                                          {static_cast<int64_t>(floats_per_tensor)},
                                          data[i].data()));
    }
  }
};

} // namespace wrel
