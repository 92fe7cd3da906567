// The C face of an OutputSink for one write request (wio_sink): turns the
// sink's exceptions into ABI statuses and keeps the real error for the core
// to rethrow; collects the writer's warnings.
#pragma once

#include "host/warning_list.hpp"
#include "io/output_sink.hpp"

#include <weightio/io.hpp>
#include <weightio/plugin_abi.h>

#include <exception>
#include <string>
#include <vector>

namespace weightio::detail {

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
