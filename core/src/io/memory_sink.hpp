// The sink of save_weights_to_memory: the output grows in a vector.
#pragma once

#include "io/output_sink.hpp"

#include <cstdint>
#include <vector>

namespace weightio::detail {

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

} // namespace weightio::detail
