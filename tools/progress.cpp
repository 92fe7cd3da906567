#include "progress.hpp"

#include "human.hpp"
#include "signals.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace wcli {

namespace {
bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}
} // namespace

ProgressBar::ProgressBar(std::string label, uint64_t work_bytes)
    : label_(printable(label)), work_(work_bytes),
      active_(work_bytes > kProgressThreshold && stderr_is_terminal()) {}

ProgressBar::~ProgressBar() {
  finish();
}

weightio::ProgressFn ProgressBar::callback() {
  return [this](uint64_t done, uint64_t total) {
    update(done, total);
    return interrupted() == 0;
  };
}

void ProgressBar::update(uint64_t done, uint64_t total) {
  if (!active_)
    return;
  if (total == 0)
    total = work_;
  if (total == 0)
    return;
  done = std::min(done, total);
  const int permille = static_cast<int>(done * 1000.0 / static_cast<double>(total));
  const auto now = std::chrono::steady_clock::now();
  // Redrawing on every callback would cost more than the work on fast disks;
  // ten frames a second is smooth enough.
  if (permille == last_permille_ ||
      (done < total && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)))
    return;
  last_permille_ = permille;
  last_draw_ = now;
  constexpr int kWidth = 30;
  const int filled = permille * kWidth / 1000;
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i)
    bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = '\0';
  std::fprintf(stderr, "\r%s [%s] %3d%%  %.1f / %.1f MB\x1b[K", label_.c_str(), bar, permille / 10,
               static_cast<double>(done) / 1e6, static_cast<double>(total) / 1e6);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!drawn_)
    return;
  std::fputs("\r\x1b[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
  last_permille_ = -1;
}

} // namespace wcli
