#include "tensor_bytes.hpp"

#include <algorithm>
#include <cstring>

namespace weightio::gguf {

void copy_as_little_endian(const ggml::TypeInfo &type, sdk::ByteOrder order, const void *src,
                           uint64_t nbytes, void *dst) noexcept {
  const auto *s = static_cast<const uint8_t *>(src);
  auto *d = static_cast<uint8_t *>(dst);
  if (!needs_swap(type, order)) {
    if (s != d && nbytes != 0)
      std::memmove(d, s, nbytes);
    return;
  }
  const uint32_t w = type.block_bytes;
  for (uint64_t i = 0; i + w <= nbytes; i += w) {
    uint8_t e[8];
    std::memcpy(e, s + i, w);
    std::reverse(e, e + w);
    std::memcpy(d + i, e, w);
  }
}

} // namespace weightio::gguf
