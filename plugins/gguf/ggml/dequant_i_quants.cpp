// Decoders of the grid-based IQ types, after ggml's dequantize_row_iq2_xxs
// ... dequantize_row_iq4_xs (ggml/src/ggml-quants.c): groups of 8 (or 4)
// values come from a lookup grid (grids.cpp), with a sign mask and a 4-bit
// block scale. The arithmetic keeps ggml's order: db * grid * (+-1).
#include "dequant_kernels.hpp"
#include "grids.hpp"

namespace weightio::gguf::ggml::kernels {

namespace {

inline float sign_of(uint8_t signs, int j) noexcept {
  return (signs >> j) & 1 ? -1.f : 1.f;
}

} // namespace

void iq2_xxs(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 66) {
    const float d = half_at(x);
    for (int ib32 = 0; ib32 < 8; ++ib32) {
      const uint8_t *aux8 = x + 2 + 8 * ib32; // four grid indices, then scale and signs
      const uint32_t aux1 = le32(aux8 + 4);
      const float db = d * (0.5f + static_cast<float>(aux1 >> 28)) * 0.25f;
      for (int l = 0; l < 4; ++l, y += 8) {
        const uint64_t grid = kIq2xxsGrid[aux8[l]];
        const uint8_t signs = kSignsIq2xs[(aux1 >> (7 * l)) & 127];
        for (int j = 0; j < 8; ++j)
          y[j] = db * static_cast<float>(grid_byte(grid, j)) * sign_of(signs, j);
      }
    }
  }
}

void iq2_xs(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 74) {
    const float d = half_at(x);
    const uint8_t *qs = x + 2; // 32 little-endian uint16: 9-bit grid index, 7-bit sign index
    const uint8_t *scales = x + 66;
    for (int ib32 = 0; ib32 < 8; ++ib32) {
      const float db[2] = {d * (0.5f + static_cast<float>(scales[ib32] & 0xf)) * 0.25f,
                           d * (0.5f + static_cast<float>(scales[ib32] >> 4)) * 0.25f};
      for (int l = 0; l < 4; ++l, y += 8) {
        const uint16_t q = le16(qs + 2 * (4 * ib32 + l));
        const uint64_t grid = kIq2xsGrid[q & 511];
        const uint8_t signs = kSignsIq2xs[q >> 9];
        for (int j = 0; j < 8; ++j)
          y[j] = db[l / 2] * static_cast<float>(grid_byte(grid, j)) * sign_of(signs, j);
      }
    }
  }
}

void iq2_s(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 82) {
    const float d = half_at(x);
    const uint8_t *qs = x + 2;
    const uint8_t *signs = x + 2 + 32;
    const uint8_t *qh = x + 66;
    const uint8_t *scales = x + 74;
    for (int ib32 = 0; ib32 < 8; ++ib32, qs += 4, signs += 4) {
      const float db[2] = {d * (0.5f + static_cast<float>(scales[ib32] & 0xf)) * 0.25f,
                           d * (0.5f + static_cast<float>(scales[ib32] >> 4)) * 0.25f};
      for (int l = 0; l < 4; ++l, y += 8) {
        const float dl = db[l / 2];
        const uint64_t grid = kIq2sGrid[qs[l] | ((qh[ib32] << (8 - 2 * l)) & 0x300)];
        for (int j = 0; j < 8; ++j)
          y[j] = dl * static_cast<float>(grid_byte(grid, j)) * sign_of(signs[l], j);
      }
    }
  }
}

void iq3_xxs(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 98) {
    const float d = half_at(x);
    const uint8_t *qs = x + 2;
    const uint8_t *scales_and_signs = x + 2 + 64;
    for (int ib32 = 0; ib32 < 8; ++ib32, qs += 8) {
      const uint32_t aux32 = le32(scales_and_signs + 4 * ib32);
      const float db = d * (0.5f + static_cast<float>(aux32 >> 28)) * 0.5f;
      for (int l = 0; l < 4; ++l, y += 8) {
        const uint8_t signs = kSignsIq2xs[(aux32 >> (7 * l)) & 127];
        const uint32_t grid1 = kIq3xxsGrid[qs[2 * l]];
        const uint32_t grid2 = kIq3xxsGrid[qs[2 * l + 1]];
        for (int j = 0; j < 4; ++j) {
          y[j] = db * static_cast<float>(grid_byte(grid1, j)) * sign_of(signs, j);
          y[j + 4] = db * static_cast<float>(grid_byte(grid2, j)) * sign_of(signs, j + 4);
        }
      }
    }
  }
}

void iq3_s(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 110) {
    const float d = half_at(x);
    const uint8_t *qs = x + 2;
    const uint8_t *qh = x + 66;
    const uint8_t *signs = x + 74;
    const uint8_t *scales = x + 106;
    for (int ib32 = 0; ib32 < 8; ib32 += 2, qh += 2) {
      const float db[2] = {d * static_cast<float>(1 + 2 * (scales[ib32 / 2] & 0xf)),
                           d * static_cast<float>(1 + 2 * (scales[ib32 / 2] >> 4))};
      for (int part = 0; part < 2; ++part, qs += 8, signs += 4) {
        const float dl = db[part];
        for (int l = 0; l < 4; ++l, y += 8) {
          const uint32_t grid1 = kIq3sGrid[qs[2 * l] | ((qh[part] << (8 - 2 * l)) & 256)];
          const uint32_t grid2 = kIq3sGrid[qs[2 * l + 1] | ((qh[part] << (7 - 2 * l)) & 256)];
          for (int j = 0; j < 4; ++j) {
            y[j] = dl * static_cast<float>(grid_byte(grid1, j)) * sign_of(signs[l], j);
            y[j + 4] = dl * static_cast<float>(grid_byte(grid2, j)) * sign_of(signs[l], j + 4);
          }
        }
      }
    }
  }
}

namespace {

constexpr float kIq1Delta = 0.125f; // IQ1S_DELTA, IQ1M_DELTA

inline float grid_int8(uint64_t entry, int j) noexcept {
  return static_cast<float>(static_cast<int8_t>(grid_byte(entry, static_cast<unsigned>(j))));
}

} // namespace

void iq1_s(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 50) {
    const float d = half_at(x);
    const uint8_t *qs = x + 2;
    const uint8_t *qh_bytes = x + 34; // 8 little-endian uint16
    for (int ib = 0; ib < 8; ++ib, qs += 4) {
      const uint16_t qh = le16(qh_bytes + 2 * ib);
      const float dl = d * static_cast<float>(2 * ((qh >> 12) & 7) + 1);
      const float delta = (qh & 0x8000) ? -kIq1Delta : kIq1Delta;
      for (int l = 0; l < 4; ++l, y += 8) {
        const uint64_t grid = kIq1sGrid[qs[l] | (((qh >> (3 * l)) & 7) << 8)];
        for (int j = 0; j < 8; ++j)
          y[j] = dl * (grid_int8(grid, j) + delta);
      }
    }
  }
}

void iq1_m(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 56) {
    const uint8_t *qs = x;
    const uint8_t *qh = x + 32;
    const uint16_t sc[4] = {le16(x + 48), le16(x + 50), le16(x + 52), le16(x + 54)};
    // The f16 super-block scale is spread over the top nibbles of the four
    // 16-bit block-scale words.
    const uint16_t scale = static_cast<uint16_t>((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) |
                                                 ((sc[2] >> 4) & 0x0f00) | (sc[3] & 0xf000));
    const float d = f16_to_f32(scale);
    for (int ib = 0; ib < 8; ++ib, qs += 4, qh += 2) {
      const float dl1 = d * static_cast<float>(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 0)) & 0x7) + 1);
      const float dl2 = d * static_cast<float>(2 * ((sc[ib / 2] >> (6 * (ib % 2) + 3)) & 0x7) + 1);
      const uint16_t idx[4] = {
          static_cast<uint16_t>(qs[0] | ((qh[0] << 8) & 0x700)),
          static_cast<uint16_t>(qs[1] | ((qh[0] << 4) & 0x700)),
          static_cast<uint16_t>(qs[2] | ((qh[1] << 8) & 0x700)),
          static_cast<uint16_t>(qs[3] | ((qh[1] << 4) & 0x700)),
      };
      const float delta[4] = {
          (qh[0] & 0x08) ? -kIq1Delta : kIq1Delta,
          (qh[0] & 0x80) ? -kIq1Delta : kIq1Delta,
          (qh[1] & 0x08) ? -kIq1Delta : kIq1Delta,
          (qh[1] & 0x80) ? -kIq1Delta : kIq1Delta,
      };
      for (int l = 0; l < 4; ++l, y += 8) {
        const float dl = l < 2 ? dl1 : dl2;
        const uint64_t grid = kIq1sGrid[idx[l]];
        for (int j = 0; j < 8; ++j)
          y[j] = dl * (grid_int8(grid, j) + delta[l]);
      }
    }
  }
}

void iq4_xs(const uint8_t *x, uint64_t nblocks, float *y) {
  for (uint64_t i = 0; i < nblocks; ++i, x += 136) {
    const float d = half_at(x);
    const uint16_t scales_h = le16(x + 2);
    const uint8_t *scales_l = x + 4;
    const uint8_t *qs = x + 8;
    for (int ib = 0; ib < 8; ++ib, qs += 16, y += 32) {
      const int ls =
          ((scales_l[ib / 2] >> (4 * (ib % 2))) & 0xf) | (((scales_h >> (2 * ib)) & 3) << 4);
      const float dl = d * static_cast<float>(ls - 32);
      for (int j = 0; j < 16; ++j) {
        y[j] = dl * static_cast<float>(kValuesIq4nl[qs[j] & 0xf]);
        y[j + 16] = dl * static_cast<float>(kValuesIq4nl[qs[j] >> 4]);
      }
    }
  }
}

} // namespace weightio::gguf::ggml::kernels
