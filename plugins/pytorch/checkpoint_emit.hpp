// Hands a named checkpoint tree to the host: every tensor with its storage
// declared (sdk::in_storage, id = the storage's index + 1: small, stable,
// in the order the pickle first names each storage), as a MAPPED view of
// its record when it is C-contiguous and as WIO_STORAGE_STRIDED otherwise;
// every scalar leaf as typed metadata under its name.
#pragma once

#include "checkpoint_tree.hpp"
#include "pickle_value.hpp"
#include "storage_records.hpp"

#include <weightio/plugin_sdk.hpp>

namespace weightio::pytorch {

// Checks every tensor of `tree` (its storage's record, its geometry) before
// emitting anything, so a refused checkpoint is never half-read; then
// emits, and warns once about the skipped values and once about skipped
// keys. `byte_swap`: the records are big-endian (WIO_TENSOR_BYTE_SWAP).
// Under WIO_READ_DESCRIBE, tensors are WIO_STORAGE_NONE (storage declared).
// Throws sdk::Failure.
void emit_checkpoint(const sdk::ReadContext &ctx, const Objects &objects, const Tree &tree,
                     StorageRecords &records, bool byte_swap);

} // namespace weightio::pytorch
