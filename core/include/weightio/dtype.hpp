// Element types of weightio tensors.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace weightio {

// Values equal the plugin ABI's wio_dtype (sdk/include/weightio/plugin_abi.h).
enum class DType : int32_t {
  BOOL = 0,
  U8,
  I8,
  U16,
  I16,
  U32,
  I32,
  U64,
  I64,
  F16,
  BF16,
  F32,
  F64,
  C64,
  C128,
  F8_E4M3,
  F8_E5M2,
  F8_E8M0,
  F8_E4M3FNUZ,
  F8_E5M2FNUZ,
  F4,
  F6_E2M3,
  F6_E3M2,
  // A block-quantized type (see block_type.hpp); the tensor names which.
  Block = 255,
};

inline constexpr int kDTypeCount = 23;

// Bits per element (4 for F4, 6 for F6_*, 128 for C128).
uint32_t dtype_bits(DType d) noexcept;
// The safetensors spelling: "F32", "BF16", ... ("C128" for complex128).
std::string_view dtype_name(DType d) noexcept;
// Exact, case-sensitive inverse of dtype_name; nullopt when unknown.
std::optional<DType> dtype_from_name(std::string_view name) noexcept;
// Alignment a data pointer of this dtype needs (1 for sub-byte types).
uint64_t dtype_alignment(DType d) noexcept;
// True when an int32 from outside (a plugin, a file) names a plain dtype
// (not Block).
bool dtype_valid(int32_t value) noexcept;

} // namespace weightio
