// The buffered file sink a save writes through (the output of every
// file-backed save).
#pragma once

#include "io/output_sink.hpp"

#include <weightio/io.hpp>
#include <weightio/plugin_abi.h>

#include <sys/types.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weightio::detail {

// Writes to a file descriptor through a staging ring, so that every plugin,
// even a plain-C one writing a few bytes at a time, gets the fast path:
// - the calling (plugin's) thread copies whatever it writes into a ring of
//   kSlots slots of kSlotBytes; a writer thread of the sink's own writes
//   each slot to the file once it is full, while the bytes are still in the
//   CPU cache. Both cores work and the tensors are read from memory once.
// - every write() to the file starts at a multiple of kSlotBytes (2 MiB) and
//   is kSlotBytes long, except the file's last: page-aligned, whole pages,
//   large blocks. On Linux 6.x (ext4, xfs) the page cache then holds the
//   file in large folios, which a later mmap maps and faults in bulk; the
//   same bytes written at odd offsets or sizes map several times slower
//   (docs/PERFORMANCE.md, "Write pattern").
// - pwrite() patches of bytes already handed to the writer travel with the
//   next slot and are applied after it: they never cut a slot short.
// The writer thread starts when the first slot is full, so an output under
// kSlotBytes is written by flush() on the calling thread, with no thread.
// With write_behind (durable saves), the disk starts writing each stretch
// as soon as it is in the page cache, instead of all of it at the final
// fsync: writing and flushing overlap. expect() allocates the file's blocks
// up front (fallocate, keeping the size), which makes the page-cache writes
// ~8% cheaper on ext4 and finds a full disk before anything is written;
// flush() gives back what was not used.
// Threads: writev/pwrite/expect/flush from one thread at a time (the ABI's
// rule for plugins); the writer thread touches only the file and the slots
// handed to it. Memory: at most kSlots * kSlotBytes, allocated as needed from
// the buffer pool (buffer_pool.hpp), which keeps them for the next save.
class FileSink final : public OutputSink {
public:
  static constexpr size_t kSlotBytes = size_t{2} << 20;
  static constexpr size_t kSlots = 4;

  // The system call that writes; tests pass their own to watch writes or
  // make them fail.
  using PwriteFn = ssize_t (*)(int fd, const void *data, size_t size, off_t offset);

  FileSink(int fd, std::filesystem::path display_path, bool write_behind = false,
           PwriteFn pwrite_fn = &::pwrite);
  // Stops the writer thread without writing what is left (a save that
  // failed before flush()); never throws.
  ~FileSink() override;
  FileSink(const FileSink &) = delete;
  FileSink &operator=(const FileSink &) = delete;

  // Both throw the writer thread's IoError, if it failed, once it is known.
  void writev(const wio_iovec *iov, size_t count) override;
  void pwrite(uint64_t offset, const void *data, size_t size) override;
  void expect(uint64_t bytes) noexcept override;
  // Writes what is left, waits for the writer thread, rethrows its error.
  void flush() override;

private:
  struct Patch {
    uint64_t offset;
    std::string bytes;
  };
  struct Handed { // a slot given to the writer
    size_t size = 0;
    std::vector<Patch> patches; // applied once the slot is written
  };

  char *slot(uint64_t n);
  void copy_in(const uint8_t *data, size_t size);
  void hand_over();
  void run_writer() noexcept;
  void write_slot(const char *data, const Handed &h);
  void write_at(uint64_t offset, const void *data, size_t size);
  [[noreturn]] void fail(const char *what, int err) const;

  int fd_;
  std::filesystem::path path_;
  bool write_behind_;
  PwriteFn pwrite_fn_;
  uint64_t reserved_ = 0;               // bytes allocated by expect()
  std::shared_ptr<void> slots_[kSlots]; // from the buffer pool, which keeps them for the next save

  // The calling thread's own.
  size_t fill_ = 0;            // bytes in the slot being filled
  std::vector<Patch> pending_; // patches to hand over with that slot
  std::thread writer_;

  // The writer thread's own (the calling thread's once it is joined).
  uint64_t written_bytes_ = 0; // bytes in the file
  uint64_t started_ = 0;       // bytes whose writeback has been started

  // Shared, under mutex_.
  std::mutex mutex_;
  std::condition_variable changed_;
  Handed handed_[kSlots];
  uint64_t produced_ = 0; // slots handed over
  uint64_t consumed_ = 0; // slots written
  bool closing_ = false;  // nothing more will be handed over
  bool stopping_ = false; // leave without writing the rest
  std::exception_ptr error_;
};

} // namespace weightio::detail
