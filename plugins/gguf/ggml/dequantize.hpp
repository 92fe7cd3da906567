// Dequantization of ggml tensor data to float32, float16 or bfloat16,
// bit-identical to the reference dequantizers (ggml's dequantize_row_* and
// gguf-py's quants.dequantize, which agree): each block type decoded exactly
// as ggml's C code does it (same operations in the same order, no fused
// multiply-add), F16/BF16/F64 widened or narrowed as numpy's astype does.
// Float16 and bfloat16 outputs are the float32 values rounded to nearest
// even (float_bits.hpp).
#pragma once

#include "ggml_types.hpp"
#include <weightio/byte_io.hpp>

#include <cstddef>
#include <cstdint>

namespace weightio::gguf::ggml {

enum class OutType : uint8_t { f32, f16, bf16 };

inline size_t out_size(OutType t) noexcept {
  return t == OutType::f32 ? 4 : 2;
}

// Decodes blocks [first_block, first_block + nblocks) of one tensor.
// - `src` points at the tensor's stored bytes (block 0); the blocks read are
//   src + first_block * block_bytes ... and must be there. No alignment needed.
// - `dst` points at the tensor's output (element 0), aligned for OutType;
//   elements [first_block * block_elems, (first_block + nblocks) * block_elems)
//   are written, nothing else. So threads may decode disjoint block ranges of
//   one tensor into one buffer at the same time (the function keeps no state).
// - `order` is the byte order of plain floating-point data (F32, F16, BF16,
//   F64: big-endian in gguf-py's big-endian files). Quantized blocks are
//   always little-endian (gguf-py never byte-swaps them), so it is ignored
//   for them.
// Throws std::invalid_argument when `type.dequantizable` is false (the
// integer types and Q8_1); does nothing else on error: the caller checks
// that the ranges exist.
void dequantize(const TypeInfo &type, const void *src, uint64_t first_block, uint64_t nblocks,
                void *dst, OutType out, sdk::ByteOrder order = sdk::ByteOrder::little);

} // namespace weightio::gguf::ggml
