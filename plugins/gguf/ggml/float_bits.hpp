// Conversions between float32 and the 16-bit float formats, bit-exact with
// the references the GGUF conformance hashes come from:
// - f16 -> f32 and f32 -> f16 as numpy's astype (npy_halfbits_to_floatbits,
//   npy_floatbits_to_halfbits): round to nearest even, overflow to infinity,
//   NaN keeps its sign and the top bits of its payload (never turning into
//   infinity) and is not quietened;
// - bf16 -> f32 by widening; f32 -> bf16 as ggml's ggml_compute_fp32_to_bf16
//   and gguf-py's quants.BF16: round to nearest even, NaN made quiet (bit 6
//   of the bf16 set) keeping its sign and top payload bits.
#pragma once

#include <bit>
#include <cstdint>

namespace weightio::gguf::ggml {

inline float f32_from_bits(uint32_t u) noexcept {
  return std::bit_cast<float>(u);
}
inline uint32_t f32_bits(float f) noexcept {
  return std::bit_cast<uint32_t>(f);
}

inline uint32_t f16_to_f32_bits(uint16_t h) noexcept {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t sig = h & 0x3FFu;
  if (exp == 0x1F) // infinity or NaN: the payload moves up unchanged
    return sign | 0x7F800000u | (sig << 13);
  if (exp != 0)
    return sign | ((exp + 112) << 23) | (sig << 13);
  if (sig == 0)
    return sign;
  // Subnormal: normalise. The value is sig * 2^-24.
  uint32_t e = 113; // biased f32 exponent of 2^-14
  while ((sig & 0x400u) == 0) {
    sig <<= 1;
    --e;
  }
  return sign | (e << 23) | ((sig & 0x3FFu) << 13);
}

inline float f16_to_f32(uint16_t h) noexcept {
  return f32_from_bits(f16_to_f32_bits(h));
}

inline uint16_t f32_bits_to_f16(uint32_t w) noexcept {
  const uint16_t sign = static_cast<uint16_t>((w >> 16) & 0x8000u);
  const uint32_t shl1_w = w + w; // drops the sign
  if (shl1_w > 0xFF000000u) {    // NaN: numpy keeps the top payload bits, never 0
    const uint16_t payload = static_cast<uint16_t>((w & 0x007FFFFFu) >> 13);
    return sign | 0x7C00u | (payload == 0 ? 1 : payload);
  }
  // Finite values and infinities, without branches (Marat Dukhan's FP16
  // method, as ggml's fallback): scaling by 2^112 then 2^-110 makes values
  // that round past the f16 range infinite, and adding a power of two just
  // above the value lets the float adder do the round to nearest even at
  // the f16 significand's last place (or at 2^-24 for subnormals).
  const float scale_to_inf = 0x1.0p+112f;
  const float scale_to_zero = 0x1.0p-110f;
  float base = (f32_from_bits(w & 0x7FFFFFFFu) * scale_to_inf) * scale_to_zero;
  uint32_t bias = shl1_w & 0xFF000000u;
  if (bias < 0x71000000u)
    bias = 0x71000000u;
  base = f32_from_bits((bias >> 1) + 0x07800000u) + base;
  const uint32_t bits = f32_bits(base);
  const uint32_t exp_bits = (bits >> 13) & 0x00007C00u;
  const uint32_t mantissa_bits = bits & 0x00000FFFu;
  return sign | static_cast<uint16_t>(exp_bits + mantissa_bits);
}

inline uint16_t f32_to_f16(float f) noexcept {
  return f32_bits_to_f16(f32_bits(f));
}

inline float bf16_to_f32(uint16_t b) noexcept {
  return f32_from_bits(static_cast<uint32_t>(b) << 16);
}

inline uint16_t f32_bits_to_bf16(uint32_t u) noexcept {
  if ((u & 0x7FFFFFFFu) > 0x7F800000u)
    return static_cast<uint16_t>((u >> 16) | 64u);
  return static_cast<uint16_t>((u + (0x7FFFu + ((u >> 16) & 1u))) >> 16);
}

inline uint16_t f32_to_bf16(float f) noexcept {
  return f32_bits_to_bf16(f32_bits(f));
}

} // namespace weightio::gguf::ggml
