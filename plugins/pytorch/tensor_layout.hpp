// Where a tensor's elements lie in its storage, checked: sizes, strides and
// offsets count elements, a tensor with elements needs offset +
// sum((size_i - 1) * stride_i) < the storage's elements, an empty one
// offset <= them, all in checked arithmetic.
#pragma once

#include "pickle_value.hpp"

#include <cstdint>
#include <string_view>

namespace weightio::pytorch {

struct TensorLayout {
  uint64_t numel = 0;
  uint64_t nbytes = 0;         // numel * element size
  uint64_t element_offset = 0; // of its first element, from the storage's start
  bool contiguous = false;     // C-contiguous (or 0 or 1 element): one byte range
};

// The layout of `t` in `storage` (seen through `view`). Throws
// sdk::Failure(INVALID_FILE) naming the tensor `name`: a dtype weightio
// cannot gather (sub-byte), a shape whose element count or byte size
// overflows, elements past the storage's end.
TensorLayout tensor_layout(const TensorRecord &t, const StorageRecord &storage,
                           const StorageView &view, std::string_view name);

} // namespace weightio::pytorch
