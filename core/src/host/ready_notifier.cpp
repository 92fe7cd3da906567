#include "host/ready_notifier.hpp"

namespace weightio::detail {

size_t ReadyNotifier::remember(const std::string &name, const Tensor &tensor) {
  tensors_.emplace_back(name, tensor);
  return tensors_.size() - 1;
}

void ReadyNotifier::call(size_t i) noexcept {
  try {
    on_ready_(tensors_[i].first, tensors_[i].second);
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (!error_)
      error_ = std::current_exception();
    failed_ = true;
  }
}

void ReadyNotifier::rethrow() const {
  // Read after the load's threads joined: no lock needed.
  if (error_)
    std::rethrow_exception(error_);
}

} // namespace weightio::detail
