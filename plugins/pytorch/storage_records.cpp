#include "storage_records.hpp"

#include "pytorch_error.hpp"

#include <weightio/plugin_sdk.hpp>

namespace weightio::pytorch {

uint64_t storage_bytes(const StorageRecord &s) {
  if (!s.typed)
    return s.numel;
  const uint64_t elsize = sdk::dtype_info(s.dtype).bits / 8;
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(s.numel, elsize, &bytes))
    refuse(PtError::storage, "its " + std::to_string(s.numel) + " elements overflow 64 bits",
           s.key);
  return bytes;
}

} // namespace weightio::pytorch
