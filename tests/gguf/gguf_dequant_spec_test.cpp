// Block types the reference files do not hold (gguf-py at their commit has
// no MXFP4, NVFP4, Q1_0, Q2_0; nothing dequantizes Q8_K but ggml): decoded
// values against the formats' own definitions (OCP Microscaling for the FP4
// types; ggml's block comments for Q1_0 / Q2_0) and, for Q8_K, against a
// numpy dequantizer of the reference file's Q8_K tensor.
#include "gguf_test_util.hpp"

#include "ggml/dequantize.hpp"
#include "gguf_parse.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace weightio::gguf::ggml;

namespace {

// E2M1 (OCP MX v1.0, table 5): sign bit 3, exponent bits 2..1 (bias 1),
// mantissa bit 0; exponent 0 is subnormal (0 or 0.5).
double e2m1(uint8_t nibble) {
  const int sign = (nibble >> 3) & 1, exp = (nibble >> 1) & 3, man = nibble & 1;
  const double mag = exp == 0 ? 0.5 * man : std::ldexp(1.0 + 0.5 * man, exp - 1);
  return sign ? -mag : mag;
}

TEST(GgmlDequantSpec, Mxfp4IsE8m0ScaleTimesE2m1) {
  const TypeInfo &t = *find_type("MXFP4");
  for (int e = 0; e <= 254; ++e) { // 255 is NaN in E8M0
    uint8_t block[17];
    block[0] = static_cast<uint8_t>(e);
    for (int j = 0; j < 16; ++j)
      block[1 + j] = static_cast<uint8_t>((j + e) % 16 | (((j * 7 + e) % 16) << 4));
    float y[32];
    dequantize(t, block, 0, 1, y, OutType::f32);
    for (int j = 0; j < 16; ++j) {
      // Element j is the low nibble of byte j, element 16 + j its high nibble.
      EXPECT_EQ(y[j], static_cast<float>(std::ldexp(e2m1(block[1 + j] & 15), e - 127)));
      EXPECT_EQ(y[16 + j], static_cast<float>(std::ldexp(e2m1(block[1 + j] >> 4), e - 127)));
    }
  }
}

TEST(GgmlDequantSpec, Nvfp4IsUe4m3ScaleTimesE2m1PerSixteen) {
  const TypeInfo &t = *find_type("NVFP4");
  for (int s = 0; s < 0x7F; ++s) { // UE4M3: 0x7F is NaN
    uint8_t block[36];
    for (int k = 0; k < 4; ++k)
      block[k] = static_cast<uint8_t>((s + 37 * k) % 0x7F);
    for (int j = 0; j < 32; ++j)
      block[4 + j] = static_cast<uint8_t>((j * 5 + s) % 256);
    float y[64];
    dequantize(t, block, 0, 1, y, OutType::f32);
    for (int k = 0; k < 4; ++k) {
      const int v = block[k], exp = v >> 3, man = v & 7;
      const double scale = exp == 0 ? std::ldexp(man, -9) : std::ldexp(1.0 + man / 8.0, exp - 7);
      for (int j = 0; j < 8; ++j) {
        const uint8_t q = block[4 + 8 * k + j];
        EXPECT_EQ(y[16 * k + j], static_cast<float>(scale * e2m1(q & 15)));
        EXPECT_EQ(y[16 * k + 8 + j], static_cast<float>(scale * e2m1(q >> 4)));
      }
    }
  }
}

TEST(GgmlDequantSpec, Q1_0AndQ2_0AreSignsAndTwoBitLevels) {
  const uint8_t d_bits[2] = {0x00, 0x3A}; // f16 0.75
  uint8_t q1[18] = {d_bits[0], d_bits[1]};
  for (int j = 0; j < 16; ++j)
    q1[2 + j] = static_cast<uint8_t>(j * 29 + 3);
  float y[128];
  dequantize(*find_type("Q1_0"), q1, 0, 1, y, OutType::f32);
  for (int j = 0; j < 128; ++j) // bit j of the quants: +d, clear: -d
    EXPECT_EQ(y[j], (q1[2 + j / 8] >> (j % 8)) & 1 ? 0.75f : -0.75f);

  uint8_t q2[18] = {d_bits[0], d_bits[1]};
  for (int j = 0; j < 16; ++j)
    q2[2 + j] = static_cast<uint8_t>(j * 53 + 11);
  dequantize(*find_type("Q2_0"), q2, 0, 1, y, OutType::f32);
  for (int j = 0; j < 64; ++j) { // 2-bit codes 0..3 stand for -1, 0, 1, 2
    const int code = (q2[2 + j / 4] >> (2 * (j % 4))) & 3;
    EXPECT_EQ(y[j], 0.75f * static_cast<float>(code - 1));
  }
}

TEST(GgmlDequantSpec, Q8kAgreesWithNumpy) {
  const auto path = ggtest::data_file("g08_q8k_raw.gguf");
  const auto bytes = wtest::read_bytes(path);
  const auto f = weightio::gguf::parse(bytes);
  const auto q8k = std::find_if(f.tensors.begin(), f.tensors.end(),
                                [](const auto &t) { return t.type->name == "Q8_K"; });
  ASSERT_NE(q8k, f.tensors.end());
  const auto &t = *q8k;
  const uint64_t nblocks = t.n_elements / 256;
  std::vector<float> y(t.n_elements);
  dequantize(*t.type, bytes.data() + f.data_offset + t.offset, 0, nblocks, y.data(), OutType::f32);
  const auto r = wtest::run_python(
      wtest::python_script("gguf_q8k_reference.py"),
      {path.string(), std::to_string(f.data_offset + t.offset), std::to_string(nblocks)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ggtest::sha256_of_floats(y) + "\n", r.out);
}

} // namespace
