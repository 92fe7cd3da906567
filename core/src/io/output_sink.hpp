// Where a writer plugin's bytes go: the sink interface the core's outputs
// (a file, memory) implement. host/sink_adapter.hpp gives it its C face.
#pragma once

#include <weightio/plugin_abi.h>

#include <cstddef>
#include <cstdint>

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

} // namespace weightio::detail
