// ggml's tensor types as GGUF stores them: the type id, the name gguf-py
// gives it (GGMLQuantizationType), and the block geometry (elements and bytes
// per block; 1 element per block for the plain types). The table is ggml's
// current one (ggml/include/ggml.h, ggml/src/ggml.c type_traits); ids ggml
// removed (Q4_2, Q4_3, Q4_0_4_4 ... IQ4_NL_8_8) are unknown here, as they
// are to ggml's GGUF reader.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace weightio::gguf::ggml {

enum class Type : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
  NVFP4 = 40,
  Q1_0 = 41,
  Q2_0 = 42,
};

enum class Kind : uint8_t {
  floating,  // F32, F16, BF16, F64: one element per block
  integer,   // I8, I16, I32, I64: one element per block
  quantized, // block-quantized
};

struct TypeInfo {
  Type type;
  std::string_view name; // as gguf-py spells it: "F32", "Q4_K", "IQ2_XXS", "MXFP4"
  uint32_t block_elems;  // elements per block
  uint32_t block_bytes;  // bytes per block
  Kind kind;
  // ggml or gguf-py has a reference dequantization to float32 for it, so
  // dequantize() accepts it (every floating and quantized type but Q8_1).
  bool dequantizable;
};

// The entry for a type id, or nullptr for an id that is not (or no longer)
// a ggml type.
const TypeInfo *find_type(uint32_t id) noexcept;
// The entry for a gguf-py name (exact, upper case), or nullptr.
const TypeInfo *find_type(std::string_view name) noexcept;
// Every known type, by id.
std::span<const TypeInfo> all_types() noexcept;

inline uint32_t id_of(Type t) noexcept {
  return static_cast<uint32_t>(t);
}

} // namespace weightio::gguf::ggml
