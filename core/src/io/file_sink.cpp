#include "io/file_sink.hpp"

#include "memory/buffer_pool.hpp"
#include "support/os_error.hpp"

#include <weightio/error.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace weightio::detail {

namespace {
// Write-behind starts the disk on stretches of this size: large enough for
// few calls and full-size device requests, small enough to start early.
constexpr uint64_t kWriteBehindStep = uint64_t{8} << 20;
} // namespace

FileSink::FileSink(int fd, std::filesystem::path display_path, bool write_behind,
                   PwriteFn pwrite_fn)
    : fd_(fd), path_(std::move(display_path)), write_behind_(write_behind), pwrite_fn_(pwrite_fn) {}

FileSink::~FileSink() {
  if (!writer_.joinable())
    return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  writer_.join();
}

void FileSink::fail(const char *what, int err) const {
  throw_os_error("save", path_, what, err);
}

char *FileSink::slot(uint64_t n) {
  std::shared_ptr<void> &s = slots_[n % kSlots];
  // From the pool, not the heap: a fresh 2 MiB slot costs 512 page faults
  // on every save (some 25 ms per GiB saved on this VM, where a fault is
  // dear), a pooled one is a huge page, and the next save reuses it.
  if (!s)
    s = allocate_large(kSlotBytes);
  return static_cast<char *>(s.get());
}

void FileSink::write_at(uint64_t offset, const void *data, size_t size) {
  const auto *p = static_cast<const char *>(data);
  while (size > 0) {
    const ssize_t n = pwrite_fn_(fd_, p, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      fail("write failed", n < 0 ? errno : EIO);
    p += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<size_t>(n);
  }
}

void FileSink::write_slot(const char *data, const Handed &h) {
  write_at(written_bytes_, data, h.size);
  written_bytes_ += h.size;
  // Everything a patch covers is in the file now, the slot included.
  for (const Patch &p : h.patches)
    write_at(p.offset, p.bytes.data(), p.bytes.size());
  if (write_behind_ && written_bytes_ - started_ >= kWriteBehindStep) {
    // Only a hint: the final fsync still decides durability, so a failure
    // here (a file system without it) changes nothing.
    ::sync_file_range(fd_, static_cast<off_t>(started_),
                      static_cast<off_t>(written_bytes_ - started_), SYNC_FILE_RANGE_WRITE);
    started_ = written_bytes_;
  }
}

void FileSink::run_writer() noexcept {
  for (;;) {
    Handed h;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || consumed_ < produced_ || closing_; });
      if (stopping_ || consumed_ == produced_)
        return;
      h = std::move(handed_[consumed_ % kSlots]);
    }
    try {
      write_slot(static_cast<const char *>(slots_[consumed_ % kSlots].get()), h);
    } catch (...) {
      std::lock_guard lock(mutex_);
      error_ = std::current_exception();
      changed_.notify_all();
      return;
    }
    {
      std::lock_guard lock(mutex_);
      ++consumed_;
    }
    changed_.notify_all();
  }
}

void FileSink::hand_over() {
  if (!writer_.joinable())
    writer_ = std::thread([this] { run_writer(); });
  std::unique_lock lock(mutex_);
  handed_[produced_ % kSlots] = {fill_, std::move(pending_)};
  pending_.clear();
  ++produced_;
  fill_ = 0;
  changed_.notify_all();
  changed_.wait(lock, [&] { return error_ || produced_ - consumed_ < kSlots; });
  if (error_)
    std::rethrow_exception(error_);
}

void FileSink::copy_in(const uint8_t *data, size_t size) {
  while (size > 0) {
    if (fill_ == kSlotBytes)
      hand_over();
    const size_t n = std::min(size, kSlotBytes - fill_);
    std::memcpy(slot(produced_) + fill_, data, n);
    fill_ += n;
    position_ += n;
    data += n;
    size -= n;
  }
}

void FileSink::writev(const wio_iovec *iov, size_t count) {
  for (size_t i = 0; i < count; ++i)
    copy_in(static_cast<const uint8_t *>(iov[i].data), iov[i].size);
}

void FileSink::pwrite(uint64_t offset, const void *data, size_t size) {
  if (offset > position_ || size > position_ - offset)
    throw Error(ErrorCode::Internal, "cannot save '" + path_.string() +
                                         "': the plugin patched bytes it has not written yet");
  const auto *src = static_cast<const uint8_t *>(data);
  // The part in the slot being filled is patched there; the rest waits for
  // the writer to have written it.
  const uint64_t fill_start = position_ - fill_;
  if (offset + size > fill_start) {
    const uint64_t from = std::max(offset, fill_start);
    std::memcpy(slot(produced_) + (from - fill_start), src + (from - offset),
                static_cast<size_t>(offset + size - from));
    size = static_cast<size_t>(from - offset);
  }
  if (size > 0)
    pending_.push_back({offset, std::string(reinterpret_cast<const char *>(src), size)});
}

void FileSink::expect(uint64_t bytes) noexcept {
  // Only a hint: a file system without fallocate, or too little space for
  // the estimate (a format may write less than it), leaves the writes to
  // allocate as usual and to report a full disk themselves. KEEP_SIZE: the
  // file's size stays what was written, and RLIMIT_FSIZE is not involved.
  if (bytes == 0)
    return;
  // A failure part way (ENOSPC) can leave some blocks allocated: flush()
  // gives back whatever lies past the end either way.
  (void)::fallocate(fd_, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(bytes));
  reserved_ = bytes;
}

void FileSink::flush() {
  if (writer_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      // The slot being filled is free: hand_over() waited for it.
      handed_[produced_ % kSlots] = {fill_, std::move(pending_)};
      ++produced_;
      closing_ = true;
    }
    changed_.notify_all();
    writer_.join();
    if (error_)
      std::rethrow_exception(error_);
  } else if (fill_ > 0 || !pending_.empty()) {
    write_slot(fill_ > 0 ? slot(produced_) : nullptr, {fill_, std::move(pending_)});
  }
  fill_ = 0;
  pending_.clear();
  // Blocks allocated past the end stay with the file until a truncate.
  if (reserved_ > written_bytes_) {
    while (::ftruncate(fd_, static_cast<off_t>(written_bytes_)) != 0)
      if (errno != EINTR)
        fail("cannot release the space reserved past the end", errno);
    reserved_ = 0;
  }
}

} // namespace weightio::detail
