// StagedWriter: a plugin's output stream made on a helper thread and written
// on the calling thread, through a small ring of buffers.
//
// Why: writing to the page cache costs the kernel as much as the copy does,
// and a write() whose source is already in the CPU cache runs ~25% faster
// than one that reads the source from memory (docs/PERFORMANCE.md). So the
// helper thread does the reading: it copies the bytes (tensor data, headers)
// into a ring slot of a few hundred KiB, computing checksums on the way,
// while the calling thread writes the previous slot from the cache. Both
// cores work, the data is read from memory once, and the file gets large
// writes even when the tensors are tiny.
//
// Threads: the ABI lets only the thread that entered the plugin's write call
// the host's sink, so the consumer runs on the calling thread and the
// producer on the helper. The producer must not touch the sink.
//
// Large blocks of tensor data are not copied: put_data() hands them over to
// be written from where they are, after the slot bytes before them. They are
// too big to stay in the cache, so copying them would only add a pass.
//
// Building: it starts a std::thread, so link Threads::Threads.
//
// Memory: slot_bytes * slots, allocated once. Small outputs (total_hint
// below kThreadMinBytes) are produced on the calling thread: a thread costs
// more than it saves there.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <weightio/plugin_abi.h>

namespace weightio::sdk {

class StagedWriter {
public:
  // Called on the calling thread with what to write next, in order: a slot's
  // bytes, followed by a large block of tensor data if one was put after
  // them (one or two pieces, never empty ones; none at the very end when only
  // the progress moved). `progress`: the bytes of tensor data (put_data)
  // among everything handed over so far. May throw (a sink failure): the
  // producer is then stopped and run() rethrows.
  using Consume = std::function<void(const wio_iovec *pieces, size_t count, uint64_t progress)>;

  static constexpr uint64_t kThreadMinBytes = uint64_t{4} << 20;
  static constexpr size_t kExternalMin = size_t{256} << 10;
  static constexpr size_t kExternalPart = size_t{16} << 20;
  static constexpr size_t kDefaultSlotBytes = size_t{512} << 10;
  static constexpr size_t kDefaultSlots = 6;

  // total_hint: about how many bytes the producer will put (decides only
  // whether a helper thread is worth starting).
  StagedWriter(Consume consume, uint64_t total_hint, size_t slot_bytes = kDefaultSlotBytes,
               size_t slots = kDefaultSlots)
      : consume_(std::move(consume)), slot_bytes_(slot_bytes),
        threaded_(total_hint >= kThreadMinBytes), slots_(threaded_ ? slots : 1),
        ring_(new char[slot_bytes_ * slots_]), filled_(slots_) {}
  StagedWriter(const StagedWriter &) = delete;
  StagedWriter &operator=(const StagedWriter &) = delete;

  // Runs `produce`, which calls put() and put_data(), and writes
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

  // Producer side: copies the bytes into the ring, waiting for a free slot
  // when the writer is behind. For headers and the like: the progress does
  // not count them.
  void put(const void *data, size_t size) {
    const auto *p = static_cast<const char *>(data);
    while (size != 0) {
      if (fill_ == slot_bytes_)
        next_slot();
      const size_t n = std::min(size, slot_bytes_ - fill_);
      std::memcpy(slot(produced_) + fill_, p, n);
      fill_ += n;
      p += n;
      size -= n;
    }
  }

  // Producer side: tensor data, which the progress counts. Below
  // kExternalMin it is copied like put(); larger blocks gain nothing from the
  // cache and are handed over to be written from where they are, in parts
  // of kExternalPart, each moving the progress on. They must stay valid
  // until run() returns.
  void put_data(const void *data, size_t size) {
    if (size < kExternalMin) {
      put(data, size);
      progress_ += size;
      return;
    }
    const auto *p = static_cast<const char *>(data);
    for (size_t done = 0; done < size;) {
      const size_t n = std::min(size - done, kExternalPart);
      external_ = {p + done, n};
      progress_ += n;
      next_slot();
      done += n;
    }
  }

private:
  struct Stopped {}; // unwinds the producer when the consumer failed

  char *slot(uint64_t n) { return ring_.get() + (n % slots_) * slot_bytes_; }

  struct Filled {
    size_t size = 0;         // bytes in the slot
    wio_iovec external = {}; // then this block (none if its size is 0)
    uint64_t progress = 0;
  };

  void consume(const char *slot_bytes, const Filled &f) {
    wio_iovec pieces[2];
    size_t n = 0;
    if (f.size != 0)
      pieces[n++] = {slot_bytes, f.size};
    if (f.external.size != 0)
      pieces[n++] = f.external;
    if (n != 0 || f.progress != reported_)
      consume_(pieces, n, f.progress);
    reported_ = f.progress;
  }

  // Inline mode: the single slot is written as soon as it is full.
  void hand_over_inline() {
    consume(slot(0), {fill_, external_, progress_});
    fill_ = 0;
    external_ = {};
  }

  void next_slot() {
    if (!threaded_)
      return hand_over_inline();
    std::unique_lock lock(mutex_);
    filled_[produced_ % slots_] = {fill_, external_, progress_};
    ++produced_;
    fill_ = 0;
    external_ = {};
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
      filled_[produced_ % slots_] = {fill_, {}, progress_};
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
  const size_t slot_bytes_;
  const bool threaded_;
  const size_t slots_;
  std::unique_ptr<char[]> ring_;

  // Producer's own (only the producer touches them).
  size_t fill_ = 0;         // bytes in the slot being filled
  wio_iovec external_ = {}; // a large block, set by put_data() until handed over
  uint64_t progress_ = 0;   // tensor data bytes put so far

  // Consumer's own.
  uint64_t reported_ = 0; // the progress last passed to consume_

  // Shared, under mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Filled> filled_; // per slot: bytes handed over and progress
  uint64_t produced_ = 0;      // slots handed over
  uint64_t consumed_ = 0;      // slots written
  bool stopped_ = false;       // the consumer failed
  bool producer_done_ = false;
  std::exception_ptr producer_error_;
};

} // namespace weightio::sdk
