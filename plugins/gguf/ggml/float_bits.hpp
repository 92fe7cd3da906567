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

inline uint16_t f32_bits_to_f16(uint32_t f) noexcept {
  const uint16_t sign = static_cast<uint16_t>((f >> 16) & 0x8000u);
  const uint32_t abs = f & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) { // infinity or NaN
    if (abs == 0x7F800000u)
      return sign | 0x7C00u;
    uint16_t payload = static_cast<uint16_t>((abs & 0x007FFFFFu) >> 13);
    if (payload == 0) // a NaN must stay a NaN
      payload = 1;
    return sign | 0x7C00u | payload;
  }
  if (abs >= 0x477FF000u) // rounds to 2^16 or more: overflow
    return sign | 0x7C00u;
  if (abs < 0x38800000u) { // below 2^-14: subnormal f16 or zero
    if (abs < 0x33000000u) // below 2^-25, half the smallest subnormal: rounds to 0
      return sign;
    const uint32_t exp = abs >> 23;
    const uint32_t sig = (abs & 0x007FFFFFu) | 0x00800000u;
    const uint32_t shift = 126 - exp; // so that the result is in units of 2^-24
    uint32_t half = sig >> shift;
    const uint32_t rest = sig & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1u)))
      ++half;
    return sign | static_cast<uint16_t>(half);
  }
  // Normal: rebias, then round the 13 dropped bits to nearest even; a carry
  // out of the significand correctly bumps the exponent.
  uint32_t h = ((abs >> 23) - 112) << 10 | ((abs >> 13) & 0x3FFu);
  const uint32_t rest = abs & 0x1FFFu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
    ++h;
  return sign | static_cast<uint16_t>(h);
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
