// Decoders of the 256-element super-block types: the K-quants (Q2_K ... Q6_K,
// Q8_K) and the ternary TQ1_0 / TQ2_0, after ggml's dequantize_row_* in
// ggml/src/ggml-quants.c (same arithmetic in the same order).
#include "dequant_kernels.hpp"

namespace weightio::gguf::ggml::kernels {

namespace {

// ggml's get_scale_min_k4: the j-th 6-bit scale and min of Q4_K / Q5_K.
inline void scale_min_k4(int j, const uint8_t *q, uint8_t &d, uint8_t &m) noexcept {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

} // namespace

void q2_k(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 84) {
    const uint8_t *scales = x;
    const uint8_t *q = x + 16;
    const float d = half_at(x + 80);
    const float min = half_at(x + 82);
    int is = 0;
    for (int n = 0; n < 256; n += 128) {
      int shift = 0;
      for (int j = 0; j < 4; ++j) {
        for (int half = 0; half < 2; ++half) {
          const uint8_t sc = scales[is++];
          const float dl = d * static_cast<float>(sc & 0xF);
          const float ml = min * static_cast<float>(sc >> 4);
          const uint8_t *qq = q + 16 * half;
          for (int l = 0; l < 16; ++l)
            *y++ = dl * static_cast<float>((qq[l] >> shift) & 3) - ml;
        }
        shift += 2;
      }
      q += 32;
    }
  }
}

void q3_k(const uint8_t *x, uint64_t nblocks, float *y) {
  constexpr uint32_t kmask1 = 0x03030303;
  constexpr uint32_t kmask2 = 0x0f0f0f0f;
  for (uint64_t i = 0; i < nblocks; ++i, x += 110) {
    const uint8_t *hm = x;
    const uint8_t *q = x + 32;
    const float d_all = half_at(x + 108);
    // The sixteen 6-bit scales, unpacked as ggml does through four words.
    uint32_t aux[4] = {le32(x + 96), le32(x + 100), le32(x + 104), 0};
    const uint32_t tmp = aux[2];
    aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
    aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
    aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
    aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
    int8_t scales[16];
    for (int k = 0; k < 16; ++k)
      scales[k] = static_cast<int8_t>(aux[k / 4] >> (8 * (k % 4)));

    int is = 0;
    uint8_t m = 1;
    for (int n = 0; n < 256; n += 128) {
      int shift = 0;
      for (int j = 0; j < 4; ++j) {
        for (int half = 0; half < 2; ++half) {
          const float dl = d_all * static_cast<float>(scales[is++] - 32);
          const uint8_t *qq = q + 16 * half;
          const uint8_t *hh = hm + 16 * half;
          for (int l = 0; l < 16; ++l)
            *y++ = dl * static_cast<float>(((qq[l] >> shift) & 3) - ((hh[l] & m) ? 0 : 4));
        }
        shift += 2;
        m = static_cast<uint8_t>(m << 1);
      }
      q += 32;
    }
  }
}

void q4_k(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 144) {
    const float d = half_at(x);
    const float min = half_at(x + 2);
    const uint8_t *scales = x + 4;
    const uint8_t *q = x + 16;
    for (int is = 0; is < 8; is += 2, q += 32, y += 64) {
      uint8_t sc, m;
      scale_min_k4(is, scales, sc, m);
      const float d1 = d * static_cast<float>(sc);
      const float m1 = min * static_cast<float>(m);
      scale_min_k4(is + 1, scales, sc, m);
      const float d2 = d * static_cast<float>(sc);
      const float m2 = min * static_cast<float>(m);
      for (int l = 0; l < 32; ++l)
        y[l] = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l)
        y[l + 32] = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

void q5_k(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 176) {
    const float d = half_at(x);
    const float min = half_at(x + 2);
    const uint8_t *scales = x + 4;
    const uint8_t *qh = x + 16;
    const uint8_t *ql = x + 48;
    uint8_t u1 = 1, u2 = 2;
    for (int is = 0; is < 8; is += 2, ql += 32, y += 64) {
      uint8_t sc, m;
      scale_min_k4(is, scales, sc, m);
      const float d1 = d * static_cast<float>(sc);
      const float m1 = min * static_cast<float>(m);
      scale_min_k4(is + 1, scales, sc, m);
      const float d2 = d * static_cast<float>(sc);
      const float m2 = min * static_cast<float>(m);
      for (int l = 0; l < 32; ++l)
        y[l] = d1 * static_cast<float>((ql[l] & 0xF) + ((qh[l] & u1) ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l)
        y[l + 32] = d2 * static_cast<float>((ql[l] >> 4) + ((qh[l] & u2) ? 16 : 0)) - m2;
      u1 = static_cast<uint8_t>(u1 << 2);
      u2 = static_cast<uint8_t>(u2 << 2);
    }
  }
}

void q6_k(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 210) {
    const float d = half_at(x + 208);
    const uint8_t *ql = x;
    const uint8_t *qh = x + 128;
    const auto *sc = reinterpret_cast<const int8_t *>(x + 192);
    for (int n = 0; n < 256; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        // ggml computes d * sc * q left to right: (d * sc) * q.
        y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
        y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
        y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
        y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
      }
    }
  }
}

void q8_k(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 292, y += 256) {
    const float d = f32_from_bits(le32(x)); // a float32 scale, unlike the other types
    const auto *qs = reinterpret_cast<const int8_t *>(x + 4);
    for (int j = 0; j < 256; ++j)
      y[j] = d * static_cast<float>(qs[j]);
  }
}

namespace {

// One base-3 digit of a TQ1_0 byte: the byte is a fixed-point fraction of
// 3^5 (or 3^4), so multiplying by 3^n (mod 256) and taking the top of the
// product by 3 yields digit n (ggml's dequantize_row_tq1_0).
inline float ternary(uint8_t byte, uint8_t pow3, float d) noexcept {
  const uint8_t q = static_cast<uint8_t>(byte * pow3);
  const int xi = (static_cast<uint16_t>(q) * 3) >> 8;
  return static_cast<float>(xi - 1) * d;
}

} // namespace

void tq1_0(const uint8_t *x, uint64_t nblocks, float *y) {
  static constexpr uint8_t pow3[6] = {1, 3, 9, 27, 81, 243};
  for (uint64_t i = 0; i < nblocks; ++i, x += 54) {
    const uint8_t *qs = x;      // 48 bytes of 5 digits
    const uint8_t *qh = x + 48; // 4 bytes of 4 digits
    const float d = half_at(x + 52);
    for (int n = 0; n < 5; ++n)
      for (int m = 0; m < 32; ++m)
        *y++ = ternary(qs[m], pow3[n], d);
    for (int n = 0; n < 5; ++n)
      for (int m = 0; m < 16; ++m)
        *y++ = ternary(qs[32 + m], pow3[n], d);
    for (int n = 0; n < 4; ++n)
      for (int j = 0; j < 4; ++j)
        *y++ = ternary(qh[j], pow3[n], d);
  }
}

void tq2_0(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 66) {
    const float d = half_at(x + 64);
    for (int j = 0; j < 64; j += 32)
      for (int l = 0; l < 4; ++l)
        for (int m = 0; m < 32; ++m)
          *y++ = static_cast<float>(((x[j + m] >> (l * 2)) & 3) - 1) * d;
  }
}

} // namespace weightio::gguf::ggml::kernels
