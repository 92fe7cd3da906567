// Where a checkpoint's storages lie in the input: the container's answer
// (a zip record, or a stretch of the legacy format's storage stream) for
// each storage the pickle declared, checked against the size it declared.
#pragma once

#include "pickle_value.hpp"

#include <cstdint>

namespace weightio::pytorch {

struct ByteRange {
  uint64_t offset = 0; // in the input
  uint64_t size = 0;
};

class StorageRecords {
public:
  virtual ~StorageRecords() = default;
  // The bytes of objects.storages[index]: exactly its numel times its
  // element size (numel bytes for an UntypedStorage). Throws
  // sdk::Failure(INVALID_FILE) naming the record when it is missing, of
  // another size, or compressed.
  virtual ByteRange locate(const Objects &objects, uint32_t index) = 0;
};

// A storage's declared byte size, or refuses one that overflows 64 bits.
uint64_t storage_bytes(const StorageRecord &storage);

} // namespace weightio::pytorch
