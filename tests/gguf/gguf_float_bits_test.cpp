// The 16-bit float conversions under dequantization against numpy: f32 ->
// f16 as numpy's astype(float16), f32 -> bf16 as gguf-py's quants.BF16
// (ggml's ggml_compute_fp32_to_bf16), every f16 -> f32 as numpy's astype.
// Inputs: every float32 whose low 16 bits are one of a set of patterns that
// sit on and around each rounding boundary of both formats, for every value
// of the top 16 bits (signs, exponents incl. subnormals, infinities, NaNs).
#include "gguf_test_util.hpp"

#include "ggml/dequantize.hpp"
#include "ggml/float_bits.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace weightio::gguf::ggml;

namespace {

std::vector<uint32_t> boundary_inputs() {
  // f16 keeps 10 of the 23 significand bits (13 dropped: halfway 0x1000);
  // bf16 keeps 7 (16 dropped: halfway 0x8000). f16 subnormals drop more,
  // so halfway points 0x2000, 0x4000 ... matter too.
  std::vector<uint32_t> low;
  for (uint32_t h = 0x1000; h <= 0x8000; h <<= 1)
    for (uint32_t base : {0u, 0x10000u - 2 * h, h})
      for (int d : {-1, 0, 1})
        low.push_back((base + h + static_cast<uint32_t>(d)) & 0xFFFF);
  for (uint32_t v : {0u, 1u, 0x7FFFu, 0x8001u, 0xFFFFu, 0x1234u, 0xEDCBu})
    low.push_back(v);
  std::vector<uint32_t> out;
  out.reserve(65536 * low.size());
  for (uint32_t top = 0; top < 65536; ++top)
    for (uint32_t l : low)
      out.push_back((top << 16) | l);
  return out;
}

template <class T> std::vector<T> read_as(const wtest::fs::path &p) {
  const auto bytes = wtest::read_bytes(p);
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

TEST(GgufFloatBits, AgreeWithNumpy) {
  const auto inputs = boundary_inputs();
  wtest::TempDir dir;
  {
    std::vector<uint8_t> raw(inputs.size() * 4);
    std::memcpy(raw.data(), inputs.data(), raw.size());
    wtest::write_bytes(dir / "in.f32", raw);
  }
  const auto r = wtest::run_python(wtest::python_script("gguf_float16_reference.py"),
                                   {(dir / "in.f32").string(), dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto f16 = read_as<uint16_t>(dir / "f16.bin");
  const auto bf16 = read_as<uint16_t>(dir / "bf16.bin");
  const auto widened = read_as<uint32_t>(dir / "f16_to_f32.bin");
  ASSERT_EQ(f16.size(), inputs.size());
  ASSERT_EQ(bf16.size(), inputs.size());
  ASSERT_EQ(widened.size(), 65536u);

  size_t f16_bad = 0, bf16_bad = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (f32_bits_to_f16(inputs[i]) != f16[i] && f16_bad++ < 5) {
      ADD_FAILURE() << std::hex << "f16 of 0x" << inputs[i] << ": 0x" << f32_bits_to_f16(inputs[i])
                    << ", numpy 0x" << f16[i];
    }
    if (f32_bits_to_bf16(inputs[i]) != bf16[i] && bf16_bad++ < 5) {
      ADD_FAILURE() << std::hex << "bf16 of 0x" << inputs[i] << ": 0x"
                    << f32_bits_to_bf16(inputs[i]) << ", reference 0x" << bf16[i];
    }
  }
  EXPECT_EQ(f16_bad, 0u);
  EXPECT_EQ(bf16_bad, 0u);
  for (uint32_t h = 0; h < 65536; ++h)
    ASSERT_EQ(f16_to_f32_bits(static_cast<uint16_t>(h)), widened[h]) << std::hex << "f16 0x" << h;

  // dequantize() of F32 data to f16 / bf16 outputs is the same rounding.
  const TypeInfo &f32 = *find_type("F32");
  std::vector<uint16_t> out(inputs.size());
  dequantize(f32, inputs.data(), 0, inputs.size(), out.data(), OutType::f16);
  EXPECT_TRUE(out == f16);
  dequantize(f32, inputs.data(), 0, inputs.size(), out.data(), OutType::bf16);
  EXPECT_TRUE(out == bf16);
}

} // namespace
