// LoadOptions::on_ready for one load: the tensors it is to be given, and the
// first exception it threw. After that exception it is called no more, and
// the load fails with it once its threads are done (rethrow). Without a
// callback, track and notify do nothing: a load without one pays nothing
// per tensor.
#pragma once

#include <weightio/tensor.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace weightio::detail {

class ReadyNotifier {
public:
  using Callback = std::function<void(const std::string &name, const Tensor &tensor)>;

  // `on_ready` (may be empty) outlives the notifier.
  explicit ReadyNotifier(const Callback &on_ready) : on_ready_(on_ready) {}
  ReadyNotifier(const ReadyNotifier &) = delete;
  ReadyNotifier &operator=(const ReadyNotifier &) = delete;

  bool enabled() const noexcept { return static_cast<bool>(on_ready_); }

  // Remembers a tensor to pass on. Returns its index for notify (and
  // DecodeJob::tensor), or SIZE_MAX without a callback. From the reader's
  // thread only, before any notify runs on another thread.
  size_t track(const std::string &name, const Tensor &tensor) {
    return enabled() ? remember(name, tensor) : SIZE_MAX;
  }

  // Passes tracked tensor `i` on (SIZE_MAX: nothing). From any thread,
  // possibly several at once: the public calls hand in a callback that
  // serialises the caller's (serialised_ready in api/load.cpp).
  void notify(size_t i) noexcept {
    if (i != SIZE_MAX && !failed_.load())
      call(i);
  }

  // Throws the callback's first exception, if it threw.
  void rethrow() const;

private:
  size_t remember(const std::string &name, const Tensor &tensor);
  void call(size_t i) noexcept;

  const Callback &on_ready_;
  std::vector<std::pair<std::string, Tensor>> tensors_;
  std::mutex mutex_; // guards error_
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

} // namespace weightio::detail
