// A progress bar on stderr for long work. It appears only when stderr is a
// terminal and the work is large, so pipes, logs and scripts see nothing
// extra.
#pragma once

#include <weightio/io.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace wcli {

// Work above this many bytes gets a bar (docs/CLI.md: "more than 64 MiB").
inline constexpr uint64_t kProgressThreshold = uint64_t{64} << 20;

class ProgressBar {
public:
  // `work_bytes` decides whether to show anything at all; it is also the
  // total when the library reports none.
  ProgressBar(std::string label, uint64_t work_bytes);
  // `label` may hold file names as given: it is escaped here (printable()).
  ~ProgressBar();
  ProgressBar(const ProgressBar &) = delete;
  ProgressBar &operator=(const ProgressBar &) = delete;

  bool active() const noexcept { return active_; }
  // For SaveOptions / LoadOptions::progress: draws the bar when active, and
  // cancels the work once an InterruptScope has seen a signal (signals.hpp).
  // Valid while this object lives.
  weightio::ProgressFn callback();
  void update(uint64_t done, uint64_t total = 0);
  // Clears the bar's line so that what follows starts clean.
  void finish();

private:
  std::string label_;
  uint64_t work_;
  bool active_;
  bool drawn_ = false;
  int last_permille_ = -1;
  std::chrono::steady_clock::time_point last_draw_{};
};

} // namespace wcli
