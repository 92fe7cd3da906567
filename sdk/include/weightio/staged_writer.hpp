// StagedWriter: a plugin's output stream made on a helper thread and written
// on the calling thread, through a small ring of buffers.
//
// Why: writing to the page cache costs the kernel as much as the copy does,
// and a write() whose source is already in the CPU cache runs faster than
// one that reads it from memory. So the helper thread does the reading: it
// copies every byte of the file (headers, tensor data) into a ring slot of a
// few hundred KiB, computing checksums on the way if the format wants them,
// while the calling thread writes the previous slot from the cache. Both
// cores work, the data is read from memory once, and the file gets large
// writes even when the tensors are tiny. Measured on a 1 GiB save: 255-260
// ms, against 300-313 ms for write() straight from the tensors
// (docs/PERFORMANCE.md).
//
// Threads: the ABI lets only the thread that entered the plugin's write call
// the host's sink, so the consumer runs on the calling thread and the
// producer on the helper. The producer must not touch the sink.
//
// Building: it starts a std::thread, so link Threads::Threads.
//
// Memory: slot_bytes * slots, allocated once. Small outputs (total_hint
// below kThreadMinBytes) are produced on the calling thread, through one
// slot of at most kInlineSlotBytes: a thread costs more than it saves there.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace weightio::sdk {

class StagedWriter {
public:
  // Called on the calling thread with the next bytes to write, in order
  // (never empty, except once at the very end when only the progress moved).
  // `progress`: the bytes of tensor data (put_data) among everything handed
  // over so far. May throw (a sink failure): the producer is then stopped
  // and run() rethrows.
  using Consume = std::function<void(const void *data, size_t size, uint64_t progress)>;
  // Called on the calling thread to overwrite `size` bytes at `offset`, all
  // of which were written before (see patch()). May throw, as Consume.
  using Patch = std::function<void(uint64_t offset, const void *data, size_t size)>;

  static constexpr uint64_t kThreadMinBytes = uint64_t{4} << 20;
  static constexpr size_t kDefaultSlotBytes = size_t{2048} << 10;
  static constexpr size_t kDefaultSlots = 4;
  static constexpr size_t kMaxPatchBytes = 8;
  // Inline mode (small outputs) writes through one slot of at most this.
  static constexpr size_t kInlineSlotBytes = size_t{256} << 10;

  // total_hint: about how many bytes the producer will put (decides only
  // whether a helper thread is worth starting). `patch` may be empty if the
  // producer never calls patch().
  StagedWriter(Consume consume, uint64_t total_hint, Patch patch = {},
               size_t slot_bytes = kDefaultSlotBytes, size_t slots = kDefaultSlots)
      : consume_(std::move(consume)), patch_(std::move(patch)),
        slot_bytes_(total_hint >= kThreadMinBytes ? slot_bytes
                                                  : std::min(slot_bytes, kInlineSlotBytes)),
        threaded_(total_hint >= kThreadMinBytes), slots_(threaded_ ? slots : 1),
        ring_(new char[slot_bytes_ * slots_]), filled_(slots_) {}
  StagedWriter(const StagedWriter &) = delete;
  StagedWriter &operator=(const StagedWriter &) = delete;

  // Runs `produce`, which calls put(), put_data() and patch(), and writes
  // everything it put. Returns when all is written; rethrows the first
  // exception of either side (the other side is stopped first). `produce`
  // must let exceptions thrown by put() pass: that is how it is stopped.
  // Call once.
  void run(const std::function<void()> &produce) {
    if (!threaded_) {
      produce();
      hand_over_inline();
      return;
    }
    std::thread helper([&] {
      try {
        produce();
        finish_producing(nullptr);
      } catch (const Stopped &) {
        finish_producing(nullptr);
      } catch (...) {
        finish_producing(std::current_exception());
      }
    });
    std::exception_ptr consumer_error;
    try {
      consume_all();
    } catch (...) {
      consumer_error = std::current_exception();
      stop();
    }
    helper.join();
    if (consumer_error)
      std::rethrow_exception(consumer_error);
    if (producer_error_)
      std::rethrow_exception(producer_error_);
  }

  // Producer side: copies bytes into the ring, waiting for a free slot when
  // the writer is behind. For headers and the like: the progress does not
  // count them.
  void put(const void *data, size_t size) { copy_in(data, size, false); }

  // Producer side: tensor data, which the progress counts as it is written.
  void put_data(const void *data, size_t size) { copy_in(data, size, true); }

  // Producer side: once everything put so far is written, overwrite `size`
  // (at most kMaxPatchBytes) bytes at file offset `offset`, which must lie
  // in what was put before. For a checksum known only after the data it
  // covers went by (a ZIP local header's CRC-32). Each patch costs a write
  // of its own: use it per large item, not per byte.
  void patch(uint64_t offset, const void *data, size_t size) {
    if (size > kMaxPatchBytes)
      throw std::length_error("StagedWriter::patch: too many bytes");
    pending_patch_.offset = offset;
    pending_patch_.size = size;
    std::memcpy(pending_patch_.bytes, data, size);
    next_slot();
  }

private:
  struct Stopped {}; // unwinds the producer when the consumer failed

  struct PatchOp {
    uint64_t offset = 0;
    size_t size = 0; // 0: none
    unsigned char bytes[kMaxPatchBytes] = {};
  };

  struct Filled {
    size_t size = 0; // bytes in the slot
    uint64_t progress = 0;
    PatchOp patch; // applied after the slot's bytes are written
  };

  char *slot(uint64_t n) { return ring_.get() + (n % slots_) * slot_bytes_; }

  void copy_in(const void *data, size_t size, bool counts) {
    const auto *p = static_cast<const char *>(data);
    while (size != 0) {
      if (fill_ == slot_bytes_)
        next_slot();
      const size_t n = std::min(size, slot_bytes_ - fill_);
      std::memcpy(slot(produced_) + fill_, p, n);
      fill_ += n;
      if (counts)
        progress_ += n;
      p += n;
      size -= n;
    }
  }

  void consume(const char *slot_bytes, const Filled &f) {
    if (f.size != 0 || f.progress != reported_)
      consume_(slot_bytes, f.size, f.progress);
    reported_ = f.progress;
    if (f.patch.size != 0)
      patch_(f.patch.offset, f.patch.bytes, f.patch.size);
  }

  // Inline mode: the single slot is written as soon as it is full.
  void hand_over_inline() {
    consume(slot(0), {fill_, progress_, pending_patch_});
    fill_ = 0;
    pending_patch_ = {};
  }

  void next_slot() {
    if (!threaded_)
      return hand_over_inline();
    std::unique_lock lock(mutex_);
    filled_[produced_ % slots_] = {fill_, progress_, pending_patch_};
    ++produced_;
    fill_ = 0;
    pending_patch_ = {};
    changed_.notify_all();
    changed_.wait(lock, [&] { return stopped_ || produced_ - consumed_ < slots_; });
    if (stopped_)
      throw Stopped{};
  }

  void finish_producing(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    if (!error && !stopped_) {
      // The last slot is free: next_slot() waited for it before filling.
      // Handed over even when empty, for the final progress.
      filled_[produced_ % slots_] = {fill_, progress_, {}};
      ++produced_;
    }
    producer_error_ = error;
    producer_done_ = true;
    changed_.notify_all();
  }

  void consume_all() {
    for (;;) {
      Filled f;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return consumed_ < produced_ || producer_done_; });
        if (producer_error_ || consumed_ == produced_)
          return; // the producer failed, or finished and everything is written
        f = filled_[consumed_ % slots_];
      }
      consume(slot(consumed_), f);
      std::lock_guard lock(mutex_);
      ++consumed_;
      changed_.notify_all();
    }
  }

  void stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    changed_.notify_all();
  }

  Consume consume_;
  Patch patch_;
  const size_t slot_bytes_;
  const bool threaded_;
  const size_t slots_;
  std::unique_ptr<char[]> ring_;

  // Producer's own (only the producer touches them).
  size_t fill_ = 0;       // bytes in the slot being filled
  uint64_t progress_ = 0; // tensor data bytes put so far
  PatchOp pending_patch_; // set by patch() until handed over

  // Consumer's own.
  uint64_t reported_ = 0; // the progress last passed to consume_

  // Shared, under mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Filled> filled_; // per slot: what to write and do
  uint64_t produced_ = 0;      // slots handed over
  uint64_t consumed_ = 0;      // slots written
  bool stopped_ = false;       // the consumer failed
  bool producer_done_ = false;
  std::exception_ptr producer_error_;
};

} // namespace weightio::sdk
