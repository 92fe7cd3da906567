// Running plugin code in a forked child with a time limit and a memory
// budget, so that a plugin that crashes, hangs or balloons is reported and
// the kit keeps going.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wcli::conformance {

// What the child sends back: one line at a time (no '\n' inside).
class LineWriter {
public:
  explicit LineWriter(int fd) : fd_(fd) {}
  void line(const std::string &text);

private:
  int fd_;
};

struct ChildLimits {
  // The child is killed when it sends no line for this long.
  double idle_timeout_s = 10;
  // ... or when its resident memory grows more than this above what it was
  // at its last line (so memory kept from earlier steps does not count).
  uint64_t memory_budget = 256u << 20;
};

struct ChildRun {
  std::vector<std::string> lines;
  bool completed = false; // body returned and the child exited 0
  bool timed_out = false;
  bool over_memory = false;
  int term_signal = 0;      // the signal that ended it, if any
  int exit_status = 0;      // else its exit status
  uint64_t peak_growth = 0; // largest resident growth seen since a line
};

// Forks; the child runs `body` and _exits (0 when body returns). In the
// child, an address-space limit of the parent's size plus eight budgets is
// set unless the build uses sanitizers. The caller must hold no threads.
ChildRun run_child(const std::function<void(LineWriter &)> &body, const ChildLimits &limits);

// "crashed (signal 11, SIGSEGV)", "hung (no progress for 10 s)", "used 300
// MiB, over its budget of 64 MiB", "exited with status 1": why a child
// ended without completing.
std::string describe_end(const ChildRun &run, const ChildLimits &limits);

// The child's current resident set, and its peak, from /proc/self/status
// (bytes).
uint64_t self_rss();
uint64_t self_peak_rss();
// Resets the peak (VmHWM) to the current resident set; false when the
// kernel does not allow it (then the peak is not per step).
bool reset_peak_rss();

} // namespace wcli::conformance
