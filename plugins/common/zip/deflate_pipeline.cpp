#include "deflate_pipeline.hpp"

#include "crc32.hpp"

namespace weightio::zip {

DeflatePipeline::DeflatePipeline(int level, std::span<const Member> members) : members_(members) {
  for (size_t k = 0; k < kThreads; ++k) {
    slots_[k].deflater.emplace(level);
    slots_[k].may_start = k;
  }
  try {
    for (size_t k = 0; k < kThreads && k < members.size(); ++k)
      threads_.emplace_back([this, k] { work(k); });
  } catch (...) {
    stop_and_join();
    throw;
  }
}

DeflatePipeline::~DeflatePipeline() {
  stop_and_join();
}

void DeflatePipeline::stop_and_join() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  for (auto &t : threads_)
    if (t.joinable())
      t.join();
}

// Thread k compresses members k, k + kThreads, ...: a fixed assignment, so
// each member's buffer is known to be free once the caller released the one
// before it in the same slot.
void DeflatePipeline::work(size_t k) {
  Slot &slot = slots_[k];
  for (size_t j = k; j < members_.size(); j += kThreads) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || slot.may_start >= j; });
      if (stop_)
        return;
    }
    try {
      static const uint8_t kEmpty = 0;
      const Member &m = members_[j];
      const void *data = m.size != 0 ? m.data : &kEmpty;
      Crc32 crc;
      crc.update(m.header.data(), m.header.size());
      crc.update(data, m.size);
      slot.result.crc = crc.value();
      slot.result.lead = stored_deflate_blocks(m.header);
      slot.result.body = slot.deflater->compress(data, m.size);
    } catch (...) {
      std::lock_guard lock(mutex_);
      slot.error = std::current_exception();
      changed_.notify_all();
      return;
    }
    {
      std::lock_guard lock(mutex_);
      slot.ready = j + 1;
    }
    changed_.notify_all();
  }
}

const DeflatePipeline::Compressed &DeflatePipeline::get(size_t i) {
  Slot &slot = slots_[i % kThreads];
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return slot.ready == i + 1 || slot.error; });
  if (slot.error)
    std::rethrow_exception(slot.error);
  return slot.result;
}

void DeflatePipeline::release(size_t i) {
  {
    std::lock_guard lock(mutex_);
    slots_[i % kThreads].may_start = i + kThreads;
  }
  changed_.notify_all();
}

} // namespace weightio::zip
