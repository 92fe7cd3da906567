#include "io/memory_sink.hpp"

#include <weightio/error.hpp>

#include <cstring>

namespace weightio::detail {

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

} // namespace weightio::detail
