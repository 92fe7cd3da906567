#include "crc_ahead.hpp"

#include "crc32.hpp"

namespace weightio::npz {
namespace {

// Below this, the whole CRC takes less than starting a thread would.
constexpr uint64_t kThreadMinBytes = uint64_t{4} << 20;

} // namespace

CrcAhead::CrcAhead(std::span<const Member> members) : members_(members), crcs_(members.size()) {
  uint64_t total = 0;
  for (const Member &m : members)
    total += m.pieces[1].size;
  if (total < kThreadMinBytes)
    run();
  else
    thread_ = std::thread([this] { run(); });
}

CrcAhead::~CrcAhead() {
  stop_.store(true, std::memory_order_relaxed);
  if (thread_.joinable())
    thread_.join();
}

void CrcAhead::run() {
  for (size_t i = 0; i < members_.size(); ++i) {
    if (stop_.load(std::memory_order_relaxed))
      return;
    Crc32 crc;
    for (const wio_iovec &p : members_[i].pieces)
      crc.update(p.data, p.size);
    crcs_[i] = crc.value();
    done_.store(i + 1, std::memory_order_release);
    done_.notify_one();
  }
}

uint32_t CrcAhead::get(size_t i) {
  for (size_t d = done_.load(std::memory_order_acquire); d <= i;
       d = done_.load(std::memory_order_acquire))
    done_.wait(d, std::memory_order_acquire);
  return crcs_[i];
}

} // namespace weightio::npz
