// Tensor bytes of big-endian GGUF files in little-endian terms. gguf-py's
// big-endian writer byte-swaps the elements of plain tensors (F16, F32, F64,
// BF16, I16, I32, I64) and leaves block-quantized data as it is, so only the
// former need swapping to be loaded (or rewritten) as little-endian.
#pragma once

#include "ggml/ggml_types.hpp"
#include <weightio/byte_io.hpp>

#include <cstdint>

namespace weightio::gguf {

// True when a tensor of `type` in a file of byte order `order` must be
// byte-swapped to be little-endian.
inline bool needs_swap(const ggml::TypeInfo &type, sdk::ByteOrder order) noexcept {
  return order == sdk::ByteOrder::big && type.kind != ggml::Kind::quantized && type.block_bytes > 1;
}

// Copies `nbytes` (a whole number of elements) from src to dst, reversing
// the bytes of each element when needs_swap(type, order). src and dst may be
// the same buffer (in-place), but must not overlap otherwise.
void copy_as_little_endian(const ggml::TypeInfo &type, sdk::ByteOrder order, const void *src,
                           uint64_t nbytes, void *dst) noexcept;

} // namespace weightio::gguf
