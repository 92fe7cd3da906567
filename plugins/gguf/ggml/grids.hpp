// The lookup tables ggml's IQ and FP4 dequantizers index (data copied from
// ggml's ggml/src/ggml-common.h; see grids.cpp). Grid entries pack 8 (or 4)
// byte-sized values, value j in bits 8j..8j+7 (ggml reads them through a
// uint8_t pointer on little-endian hosts; grid_byte() does the same on any).
#pragma once

#include <cstdint>

namespace weightio::gguf::ggml {

extern const uint8_t kSignsIq2xs[128];
extern const uint64_t kIq2xxsGrid[256];
extern const uint64_t kIq2xsGrid[512];
extern const uint64_t kIq2sGrid[1024];
extern const uint32_t kIq3xxsGrid[256];
extern const uint32_t kIq3sGrid[512];
extern const uint64_t kIq1sGrid[2048]; // bytes are int8 values -1, 0, 1
extern const int8_t kValuesIq4nl[16];
extern const int8_t kValuesFp4[16]; // twice the E2M1 values (ggml's kvalues_mxfp4)

template <class T> inline uint8_t grid_byte(T entry, unsigned j) noexcept {
  return static_cast<uint8_t>(entry >> (8 * j));
}

} // namespace weightio::gguf::ggml
