// Work over the files of a sharded checkpoint: one job per file on a bounded
// number of threads, and one progress report over the whole set.
#pragma once

#include <weightio/io.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace weightio::detail {

// Runs job(i) for every i in [0, n) on at most `max_threads` threads (the
// calling one included) and the machine's core count. job must not throw.
template <class F> void run_bounded(size_t n, size_t max_threads, F &&job) {
  const size_t hw = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::max<size_t>(1, std::min({n, hw, max_threads}));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;)
      job(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t)
    pool.emplace_back(worker);
  worker();
  for (auto &t : pool)
    t.join();
}

// Turns each file's (done, total) into one (done over the set, `total`)
// report to `fn`, called under a mutex (so never concurrently). Once `fn`
// returns false, or cancel() is called, every file's callback returns false.
class SetProgress {
public:
  SetProgress(const ProgressFn &fn, size_t files, uint64_t total)
      : fn_(fn), done_(files, 0), total_(total) {}
  // For file i; empty when there is no callback and nothing to cancel.
  ProgressFn for_file(size_t i) {
    return [this, i](uint64_t done, uint64_t) {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_)
        return false;
      if (!fn_)
        return true;
      done_[i] = done;
      uint64_t sum = 0;
      for (uint64_t d : done_)
        sum += d;
      if (!fn_(std::min(sum, total_), total_))
        cancelled_ = true;
      return !cancelled_;
    };
  }
  void cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
  }

private:
  const ProgressFn &fn_;
  std::mutex mu_;
  std::vector<uint64_t> done_;
  uint64_t total_;
  bool cancelled_ = false;
};

} // namespace weightio::detail
