// The per-type block decoders behind dequantize(): each turns `nblocks`
// consecutive blocks at `x` into float32 values at `y`, as ggml's
// dequantize_row_<type> does. Internal to plugins/gguf/ggml.
#pragma once

#include "float_bits.hpp"

#include <cstdint>

namespace weightio::gguf::ggml::kernels {

using Kernel = void (*)(const uint8_t *x, uint64_t nblocks, float *y);

inline uint16_t le16(const uint8_t *p) noexcept {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
inline uint32_t le32(const uint8_t *p) noexcept {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline float half_at(const uint8_t *p) noexcept {
  return f16_to_f32(le16(p));
}

// 32-element blocks and other small ones (dequant_small_blocks.cpp).
void q4_0(const uint8_t *x, uint64_t nblocks, float *y);
void q4_1(const uint8_t *x, uint64_t nblocks, float *y);
void q5_0(const uint8_t *x, uint64_t nblocks, float *y);
void q5_1(const uint8_t *x, uint64_t nblocks, float *y);
void q8_0(const uint8_t *x, uint64_t nblocks, float *y);
void q1_0(const uint8_t *x, uint64_t nblocks, float *y);
void q2_0(const uint8_t *x, uint64_t nblocks, float *y);
void mxfp4(const uint8_t *x, uint64_t nblocks, float *y);
void nvfp4(const uint8_t *x, uint64_t nblocks, float *y);
void iq4_nl(const uint8_t *x, uint64_t nblocks, float *y);

// 256-element super-blocks: K-quants, Q8_K, ternary (dequant_k_quants.cpp).
void q2_k(const uint8_t *x, uint64_t nblocks, float *y);
void q3_k(const uint8_t *x, uint64_t nblocks, float *y);
void q4_k(const uint8_t *x, uint64_t nblocks, float *y);
void q5_k(const uint8_t *x, uint64_t nblocks, float *y);
void q6_k(const uint8_t *x, uint64_t nblocks, float *y);
void q8_k(const uint8_t *x, uint64_t nblocks, float *y);
void tq1_0(const uint8_t *x, uint64_t nblocks, float *y);
void tq2_0(const uint8_t *x, uint64_t nblocks, float *y);

// Grid-based IQ types (dequant_i_quants.cpp).
void iq2_xxs(const uint8_t *x, uint64_t nblocks, float *y);
void iq2_xs(const uint8_t *x, uint64_t nblocks, float *y);
void iq2_s(const uint8_t *x, uint64_t nblocks, float *y);
void iq3_xxs(const uint8_t *x, uint64_t nblocks, float *y);
void iq3_s(const uint8_t *x, uint64_t nblocks, float *y);
void iq1_s(const uint8_t *x, uint64_t nblocks, float *y);
void iq1_m(const uint8_t *x, uint64_t nblocks, float *y);
void iq4_xs(const uint8_t *x, uint64_t nblocks, float *y);

} // namespace weightio::gguf::ggml::kernels
