// Output sinks the core hands to writer plugins (wio_sink): a buffered file
// sink and a memory sink, plus the adapter that turns their exceptions into
// ABI status codes and keeps the real error for the core to rethrow.
#pragma once

#include "warning_list.hpp"

#include <weightio/io.hpp>
#include <weightio/plugin_abi.h>

#include <sys/uio.h>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

namespace weightio::detail {

class OutputSink {
public:
  virtual ~OutputSink() = default;
  // All throw weightio::Error (IoError for the OS's refusals).
  virtual void writev(const wio_iovec *iov, size_t count) = 0;
  virtual void pwrite(uint64_t offset, const void *data, size_t size) = 0;
  // A hint, before the first write: the output will be about `bytes` long.
  // Never throws; the output may end up shorter or longer.
  virtual void expect(uint64_t bytes) noexcept { (void)bytes; }
  // Called once, after the plugin returned: everything is in the output.
  virtual void flush() = 0;
  uint64_t position() const noexcept { return position_; }

protected:
  uint64_t position_ = 0; // logical bytes written sequentially
};

// Writes to a file descriptor. Small writes are gathered in a buffer; large
// ones go straight to the kernel with pwritev, so tensor bytes are not copied.
// With write_behind (durable saves), the disk starts writing each stretch of
// the file as soon as it is in the page cache, instead of all of it at the
// final fsync: writing and flushing overlap.
// expect() allocates the file's blocks up front (fallocate, keeping the
// size), which makes the page-cache writes ~8% cheaper on ext4 and finds a
// full disk before anything is written; flush() gives back what was not used.
class FileSink final : public OutputSink {
public:
  FileSink(int fd, std::filesystem::path display_path, bool write_behind = false);
  void writev(const wio_iovec *iov, size_t count) override;
  void pwrite(uint64_t offset, const void *data, size_t size) override;
  void expect(uint64_t bytes) noexcept override;
  void flush() override;

private:
  void write_out(std::vector<::iovec> &iov);
  [[noreturn]] void fail(const char *what, int err) const;
  int fd_;
  std::filesystem::path path_;
  std::vector<uint8_t> buffer_;
  uint64_t flushed_ = 0; // bytes already in the file
  bool write_behind_;
  uint64_t started_ = 0;  // bytes whose writeback has been started
  uint64_t reserved_ = 0; // bytes allocated by expect()
};

class MemorySink final : public OutputSink {
public:
  void writev(const wio_iovec *iov, size_t count) override;
  void pwrite(uint64_t offset, const void *data, size_t size) override;
  void expect(uint64_t bytes) noexcept override;
  void flush() override {}
  std::vector<uint8_t> take() { return std::move(bytes_); }

private:
  std::vector<uint8_t> bytes_;
};

// The C view of an OutputSink for one write request.
class SinkAdapter {
public:
  // `file` names the destination in the errors the adapter raises.
  SinkAdapter(OutputSink &sink, const ProgressFn &progress, std::string file);
  const wio_sink *c_sink() const noexcept { return &c_; }
  // The first error a sink call raised (rethrow it in preference to the
  // plugin's message, which only says the sink failed).
  std::exception_ptr error() const noexcept { return error_; }
  std::vector<std::string> take_warnings() { return warnings_.take(); }

private:
  static void warn_cb(void *ctx, wio_str message);
  static int32_t write_cb(void *ctx, const void *data, size_t size);
  static int32_t writev_cb(void *ctx, const wio_iovec *iov, size_t count);
  static int32_t pwrite_cb(void *ctx, uint64_t offset, const void *data, size_t size);
  static uint64_t position_cb(void *ctx);
  static int32_t progress_cb(void *ctx, uint64_t done, uint64_t total);
  template <class F> int32_t guarded(F &&f) noexcept;

  OutputSink &sink_;
  const ProgressFn &progress_;
  std::string file_;
  std::exception_ptr error_;
  WarningList warnings_;
  wio_sink c_{};
};

} // namespace weightio::detail
