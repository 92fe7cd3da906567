// CRC-32 of every stored member, computed on a second thread ahead of the
// writer. The writer needs a member's CRC before its local header goes out;
// getting it from a thread that runs ahead (CRC is ~5x faster than writing
// to the page cache) overlaps the two passes instead of adding them, and the
// header is written once, right, with no pwrite patch afterwards.
#pragma once

#include <weightio/plugin_abi.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>

namespace weightio::npz {

class CrcAhead {
public:
  // A member's bytes: its npy header, then its tensor data. Both must stay
  // valid until the object is destroyed.
  struct Member {
    wio_iovec pieces[2]; // npy header, tensor data
  };

  // Starts computing at once. Small totals are done on the caller's thread:
  // a thread costs more than it saves there.
  explicit CrcAhead(std::span<const Member> members);
  ~CrcAhead(); // stops and joins the thread, also when the writer failed
  CrcAhead(const CrcAhead &) = delete;
  CrcAhead &operator=(const CrcAhead &) = delete;

  // The CRC of member i, waiting for it if the thread has not got there.
  uint32_t get(size_t i);

private:
  void run();
  std::span<const Member> members_;
  std::vector<uint32_t> crcs_;
  std::atomic<size_t> done_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

} // namespace weightio::npz
