#include "file_sink.hpp"

#include <weightio/error.hpp>

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace weightio::detail {

namespace {
// Small writes are gathered into a buffer of this size. Writes of at least
// kDirectWrite bytes go to the file from the caller's memory, with whatever
// is buffered, in one call: copying them here would only add a pass.
constexpr size_t kBufferSize = 1 << 20;
constexpr size_t kDirectWrite = kBufferSize / 4;
// Write-behind starts the disk on stretches of this size: large enough for
// few calls and full-size device requests, small enough to start early.
constexpr uint64_t kWriteBehindStep = uint64_t{8} << 20;
} // namespace

FileSink::FileSink(int fd, std::filesystem::path display_path, bool write_behind)
    : fd_(fd), path_(std::move(display_path)), write_behind_(write_behind) {
  buffer_.reserve(kBufferSize);
}

void FileSink::fail(const char *what, int err) const {
  std::string reason = std::strerror(err);
  if (err == ENOSPC || err == EDQUOT)
    reason = "the disk is full (" + reason + ")";
  else if (err == EFBIG)
    reason = "the file is larger than allowed: a file-size limit (ulimit -f) or the file "
             "system's maximum (" +
             reason + ")";
  else if (err == EFAULT) // the kernel could not read the caller's bytes
    reason = "the bytes to write could not be read: was a mapped input file truncated "
             "meanwhile? (" +
             reason + ")";
  throw IoError(ErrorCode::Io, "cannot save '" + path_.string() + "': " + what + ": " + reason,
                path_.string());
}

void FileSink::write_out(std::vector<::iovec> &iov) {
  size_t first = 0;
  while (first < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    ssize_t n = ::pwritev(fd_, iov.data() + first, count, static_cast<off_t>(flushed_));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail("write failed", errno);
    }
    if (n == 0)
      fail("write failed", EIO);
    flushed_ += static_cast<uint64_t>(n);
    size_t left = static_cast<size_t>(n);
    while (left > 0 && first < iov.size()) {
      if (left >= iov[first].iov_len) {
        left -= iov[first].iov_len;
        ++first;
      } else {
        iov[first].iov_base = static_cast<char *>(iov[first].iov_base) + left;
        iov[first].iov_len -= left;
        left = 0;
      }
    }
    while (first < iov.size() && iov[first].iov_len == 0)
      ++first;
  }
  if (write_behind_ && flushed_ - started_ >= kWriteBehindStep) {
    // Only a hint: the final fsync still decides durability, so a failure
    // here (a file system without it) changes nothing.
    ::sync_file_range(fd_, static_cast<off_t>(started_), static_cast<off_t>(flushed_ - started_),
                      SYNC_FILE_RANGE_WRITE);
    started_ = flushed_;
  }
}

void FileSink::writev(const wio_iovec *iov, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count; ++i)
    total += iov[i].size;
  if (total < kDirectWrite && buffer_.size() + total <= kBufferSize) {
    for (size_t i = 0; i < count; ++i)
      if (iov[i].size)
        buffer_.insert(buffer_.end(), static_cast<const uint8_t *>(iov[i].data),
                       static_cast<const uint8_t *>(iov[i].data) + iov[i].size);
    position_ += total;
    return;
  }
  // Big, or no room: send the buffer and the caller's pieces in one call.
  std::vector<::iovec> out;
  out.reserve(count + 1);
  if (!buffer_.empty())
    out.push_back({buffer_.data(), buffer_.size()});
  for (size_t i = 0; i < count; ++i)
    if (iov[i].size)
      out.push_back({const_cast<void *>(iov[i].data), iov[i].size});
  write_out(out);
  buffer_.clear();
  position_ += total;
}

void FileSink::pwrite(uint64_t offset, const void *data, size_t size) {
  if (offset > position_ || size > position_ - offset)
    throw Error(ErrorCode::Internal, "cannot save '" + path_.string() +
                                         "': the plugin patched bytes it has not written yet");
  const auto *src = static_cast<const uint8_t *>(data);
  // The part already in the file goes there; the rest is still buffered.
  if (offset < flushed_) {
    size_t in_file = static_cast<size_t>(std::min<uint64_t>(size, flushed_ - offset));
    size_t done = 0;
    while (done < in_file) {
      ssize_t n = ::pwrite(fd_, src + done, in_file - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        fail("write failed", n < 0 ? errno : EIO);
      done += static_cast<size_t>(n);
    }
    src += in_file;
    offset += in_file;
    size -= in_file;
  }
  if (size > 0)
    std::memcpy(buffer_.data() + (offset - flushed_), src, size);
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
  if (!buffer_.empty()) {
    std::vector<::iovec> out{{buffer_.data(), buffer_.size()}};
    write_out(out);
    buffer_.clear();
  }
  // Blocks allocated past the end stay with the file until a truncate.
  if (reserved_ > flushed_) {
    while (::ftruncate(fd_, static_cast<off_t>(flushed_)) != 0)
      if (errno != EINTR)
        fail("cannot release the space reserved past the end", errno);
    reserved_ = 0;
  }
}

void MemorySink::writev(const wio_iovec *iov, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (iov[i].size) {
      const auto *p = static_cast<const uint8_t *>(iov[i].data);
      bytes_.insert(bytes_.end(), p, p + iov[i].size);
      position_ += iov[i].size;
    }
}

void MemorySink::expect(uint64_t bytes) noexcept {
  try {
    bytes_.reserve(static_cast<size_t>(bytes));
  } catch (...) { // only a hint: the writes will grow it, or fail themselves
  }
}

void MemorySink::pwrite(uint64_t offset, const void *data, size_t size) {
  if (offset > bytes_.size() || size > bytes_.size() - offset)
    throw Error(ErrorCode::Internal, "the plugin patched bytes it has not written yet");
  if (size)
    std::memcpy(bytes_.data() + offset, data, size);
}

SinkAdapter::SinkAdapter(OutputSink &sink, const ProgressFn &progress, std::string file)
    : sink_(sink), progress_(progress), file_(std::move(file)), warnings_(file_) {
  c_.struct_size = sizeof(wio_sink);
  c_.ctx = this;
  c_.write = &write_cb;
  c_.writev = &writev_cb;
  c_.pwrite = &pwrite_cb;
  c_.position = &position_cb;
  c_.progress = &progress_cb;
  c_.warn = &warn_cb;
}

void SinkAdapter::warn_cb(void *ctx, wio_str message) {
  static_cast<SinkAdapter *>(ctx)->warnings_.add(message);
}

template <class F> int32_t SinkAdapter::guarded(F &&f) noexcept {
  if (error_)
    return WIO_ERR_IO; // a plugin that ignores a failure gets it again
  try {
    return f();
  } catch (const Error &e) {
    error_ = std::current_exception();
    return e.code() == ErrorCode::Cancelled ? WIO_ERR_CANCELLED
           : e.code() == ErrorCode::Io      ? WIO_ERR_IO
                                            : WIO_ERR_INTERNAL;
  } catch (...) {
    error_ = std::current_exception();
    return WIO_ERR_INTERNAL;
  }
}

int32_t SinkAdapter::write_cb(void *ctx, const void *data, size_t size) {
  wio_iovec one{data, size};
  return writev_cb(ctx, &one, 1);
}

int32_t SinkAdapter::writev_cb(void *ctx, const wio_iovec *iov, size_t count) {
  auto *self = static_cast<SinkAdapter *>(ctx);
  return self->guarded([&] {
    if (count > 0 && iov == nullptr)
      throw Error(ErrorCode::Internal,
                  "cannot save '" + self->file_ + "': the plugin passed a null iovec array",
                  self->file_);
    self->sink_.writev(iov, count);
    return int32_t{WIO_OK};
  });
}

int32_t SinkAdapter::pwrite_cb(void *ctx, uint64_t offset, const void *data, size_t size) {
  auto *self = static_cast<SinkAdapter *>(ctx);
  return self->guarded([&] {
    self->sink_.pwrite(offset, data, size);
    return int32_t{WIO_OK};
  });
}

uint64_t SinkAdapter::position_cb(void *ctx) {
  return static_cast<SinkAdapter *>(ctx)->sink_.position();
}

int32_t SinkAdapter::progress_cb(void *ctx, uint64_t done, uint64_t total) {
  auto *self = static_cast<SinkAdapter *>(ctx);
  return self->guarded([&] {
    if (self->progress_ && !self->progress_(done, total))
      throw Error(ErrorCode::Cancelled,
                  "save of '" + self->file_ + "' cancelled by the progress callback", self->file_);
    return int32_t{WIO_OK};
  });
}

} // namespace weightio::detail
