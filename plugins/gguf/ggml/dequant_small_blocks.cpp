// Decoders of the small-block types (16 to 128 elements per block), after
// ggml's dequantize_row_q4_0 ... dequantize_row_iq4_nl (ggml/src/ggml-quants.c).
// Block layouts are ggml-common.h's: an f16 scale first, then the quants.
#include "dequant_kernels.hpp"
#include "grids.hpp"

#include <cmath>

namespace weightio::gguf::ggml::kernels {

void q4_0(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 18, y += 32) {
    const float d = half_at(x);
    const uint8_t *qs = x + 2;
    for (int j = 0; j < 16; ++j) {
      y[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
      y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
    }
  }
}

void q4_1(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 20, y += 32) {
    const float d = half_at(x);
    const float m = half_at(x + 2);
    const uint8_t *qs = x + 4;
    for (int j = 0; j < 16; ++j) {
      y[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
      y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
    }
  }
}

void q5_0(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 22, y += 32) {
    const float d = half_at(x);
    const uint32_t qh = le32(x + 2);
    const uint8_t *qs = x + 6;
    for (int j = 0; j < 16; ++j) {
      const uint32_t xh0 = ((qh >> j) << 4) & 0x10;
      const uint32_t xh1 = (qh >> (j + 12)) & 0x10;
      y[j] = static_cast<float>(static_cast<int32_t>((qs[j] & 0x0F) | xh0) - 16) * d;
      y[j + 16] = static_cast<float>(static_cast<int32_t>((qs[j] >> 4) | xh1) - 16) * d;
    }
  }
}

void q5_1(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 24, y += 32) {
    const float d = half_at(x);
    const float m = half_at(x + 2);
    const uint32_t qh = le32(x + 4);
    const uint8_t *qs = x + 8;
    for (int j = 0; j < 16; ++j) {
      const uint32_t xh0 = ((qh >> j) << 4) & 0x10;
      const uint32_t xh1 = (qh >> (j + 12)) & 0x10;
      y[j] = static_cast<float>((qs[j] & 0x0F) | xh0) * d + m;
      y[j + 16] = static_cast<float>((qs[j] >> 4) | xh1) * d + m;
    }
  }
}

void q8_0(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 34, y += 32) {
    const float d = half_at(x);
    const auto *qs = reinterpret_cast<const int8_t *>(x + 2);
    for (int j = 0; j < 32; ++j)
      y[j] = static_cast<float>(qs[j]) * d;
  }
}

void q1_0(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 18, y += 128) {
    const float d = half_at(x);
    const float neg_d = -d;
    const uint8_t *qs = x + 2;
    for (int j = 0; j < 128; ++j)
      y[j] = ((qs[j / 8] >> (j % 8)) & 1) ? d : neg_d;
  }
}

void q2_0(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 18, y += 64) {
    const float d = half_at(x);
    const uint8_t *qs = x + 2;
    for (int j = 0; j < 64; ++j) {
      const int q = (qs[j / 4] >> ((j % 4) * 2)) & 0x03; // 0..3 stand for -1, 0, 1, 2
      y[j] = static_cast<float>(q - 1) * d;
    }
  }
}

namespace {

// ggml_e8m0_to_fp32_half: 2^(e - 128), i.e. half the E8M0 scale, because
// kValuesFp4 holds twice the E2M1 values.
float e8m0_half(uint8_t e) noexcept {
  const uint32_t bits = e < 2 ? (0x00200000u << e) : (static_cast<uint32_t>(e - 1) << 23);
  return f32_from_bits(bits);
}

// ggml_ue4m3_to_fp32: an unsigned E4M3 scale (bias 7), halved for the same
// reason; 0 and 0x7F decode to 0.
float ue4m3_half(uint8_t v) noexcept {
  if (v == 0 || v == 0x7F)
    return 0.0f;
  const int exp = (v >> 3) & 0xF;
  const int man = v & 0x7;
  const float raw = exp == 0 ? std::ldexp(static_cast<float>(man), -9)
                             : std::ldexp(1.0f + static_cast<float>(man) / 8.0f, exp - 7);
  return raw * 0.5f;
}

} // namespace

void mxfp4(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 17, y += 32) {
    const float d = e8m0_half(x[0]);
    const uint8_t *qs = x + 1;
    for (int j = 0; j < 16; ++j) {
      y[j] = static_cast<float>(kValuesFp4[qs[j] & 0x0F]) * d;
      y[j + 16] = static_cast<float>(kValuesFp4[qs[j] >> 4]) * d;
    }
  }
}

void nvfp4(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 36) {
    for (int s = 0; s < 4; ++s, y += 16) { // four 16-element sub-blocks, one scale each
      const float d = ue4m3_half(x[s]);
      const uint8_t *qs = x + 4 + s * 8;
      for (int j = 0; j < 8; ++j) {
        y[j] = static_cast<float>(kValuesFp4[qs[j] & 0x0F]) * d;
        y[j + 8] = static_cast<float>(kValuesFp4[qs[j] >> 4]) * d;
      }
    }
  }
}

void iq4_nl(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 18, y += 32) {
    const float d = half_at(x);
    const uint8_t *qs = x + 2;
    for (int j = 0; j < 16; ++j) {
      y[j] = d * static_cast<float>(kValuesIq4nl[qs[j] & 0x0F]);
      y[j + 16] = d * static_cast<float>(kValuesIq4nl[qs[j] >> 4]);
    }
  }
}

} // namespace weightio::gguf::ggml::kernels
