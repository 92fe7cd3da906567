// Deflates members on two threads while the caller writes them out in order.
// Each member is compressed whole by its own libdeflate call, so the bytes do
// not depend on which thread did it or when; at most two members' compressed
// buffers exist at a time (one per thread), whatever the member count.
#pragma once

#include "deflate.hpp"

#include <weightio/plugin_abi.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace weightio::zip {

class DeflatePipeline {
public:
  // A member: its npy header (stored, in front), then its tensor data. Both
  // must stay valid until the object is destroyed.
  struct Member {
    std::string_view header;
    const void *data;
    size_t size;
  };
  // A compressed member: the header as stored deflate blocks, then the
  // deflated data; crc covers header and data uncompressed.
  struct Compressed {
    std::string lead;
    std::span<const uint8_t> body;
    uint32_t crc = 0;
  };

  DeflatePipeline(int level, std::span<const Member> members);
  ~DeflatePipeline(); // stops and joins the threads
  DeflatePipeline(const DeflatePipeline &) = delete;
  DeflatePipeline &operator=(const DeflatePipeline &) = delete;

  // Member i, compressed (waiting for it); call for i = 0, 1, 2, ... in
  // order. Valid until release(i). Rethrows a thread's failure.
  const Compressed &get(size_t i);
  // The caller has written member i: its thread may reuse the buffer.
  void release(size_t i);

private:
  static constexpr size_t kThreads = 2;
  struct Slot {
    std::optional<Deflater> deflater;
    Compressed result;
    size_t may_start = 0; // the next member this slot may compress
    size_t ready = 0;     // member index + 1 of the result, 0 for none
    std::exception_ptr error;
  };
  void work(size_t k);
  void stop_and_join();

  std::span<const Member> members_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
  Slot slots_[kThreads];
  std::vector<std::thread> threads_;
};

} // namespace weightio::zip
