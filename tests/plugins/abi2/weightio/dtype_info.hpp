// FROZEN: weightio's dtype_info.hpp as weightio 0.2 shipped it (commit ea24045),
// for the frozen ABI-2 test plugin beside it. Never edit.
// Header-only dtype facts shared by the core and by plugins (C++17 or later),
// so that every side agrees on names, widths and byte sizes.
#ifndef WEIGHTIO_DTYPE_INFO_HPP
#define WEIGHTIO_DTYPE_INFO_HPP

#include <weightio/plugin_abi.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace weightio::sdk {

struct DTypeInfo {
  std::string_view name; // the safetensors spelling ("F32", "BF16", ...)
  uint32_t bits;         // width of one element
};

// Indexed by wio_dtype. Never reorder: the index is the ABI value.
inline constexpr DTypeInfo kDTypes[WIO_DTYPE_COUNT_V1] = {
    {"BOOL", 8},    {"U8", 8},      {"I8", 8},      {"U16", 16},        {"I16", 16},
    {"U32", 32},    {"I32", 32},    {"U64", 64},    {"I64", 64},        {"F16", 16},
    {"BF16", 16},   {"F32", 32},    {"F64", 64},    {"C64", 64},        {"C128", 128},
    {"F8_E4M3", 8}, {"F8_E5M2", 8}, {"F8_E8M0", 8}, {"F8_E4M3FNUZ", 8}, {"F8_E5M2FNUZ", 8},
    {"F4", 4},      {"F6_E2M3", 6}, {"F6_E3M2", 6},
};

constexpr bool dtype_valid(int32_t d) {
  return d >= 0 && d < static_cast<int32_t>(WIO_DTYPE_COUNT_V1);
}

// Precondition: dtype_valid(d).
constexpr const DTypeInfo &dtype_info(int32_t d) {
  return kDTypes[d];
}

// Parses the exact (case-sensitive) safetensors name.
constexpr std::optional<int32_t> dtype_from_name(std::string_view name) {
  for (int32_t d = 0; d < static_cast<int32_t>(WIO_DTYPE_COUNT_V1); ++d)
    if (kDTypes[d].name == name)
      return d;
  return std::nullopt;
}

// Alignment a pointer to elements of d needs: the element size for the
// integer and float types, the component size for complex, 1 for sub-byte.
constexpr uint64_t dtype_alignment(int32_t d) {
  uint32_t bits = kDTypes[d].bits;
  if (d == WIO_DTYPE_C64 || d == WIO_DTYPE_C128)
    bits /= 2;
  return bits >= 8 ? bits / 8 : 1;
}

// Element count of a shape; nullopt on a negative extent or overflow.
inline std::optional<uint64_t> checked_numel(const int64_t *shape, uint32_t ndim) {
  uint64_t n = 1;
  for (uint32_t i = 0; i < ndim; ++i) {
    if (shape[i] < 0)
      return std::nullopt;
    uint64_t extent = static_cast<uint64_t>(shape[i]);
    if (extent != 0 && n > UINT64_MAX / extent)
      return std::nullopt;
    n *= extent;
  }
  return n;
}

// Bytes a C-contiguous tensor of `numel` elements of d occupies; nullopt on
// overflow or when a sub-byte tensor does not end on a byte boundary.
inline std::optional<uint64_t> checked_nbytes(int32_t d, uint64_t numel) {
  const uint64_t bits = kDTypes[d].bits;
  if (numel > UINT64_MAX / bits)
    return std::nullopt;
  const uint64_t total_bits = numel * bits;
  if (total_bits % 8 != 0)
    return std::nullopt;
  return total_bits / 8;
}

inline std::optional<uint64_t> checked_nbytes(int32_t d, const int64_t *shape, uint32_t ndim) {
  auto n = checked_numel(shape, ndim);
  if (!n)
    return std::nullopt;
  return checked_nbytes(d, *n);
}

} // namespace weightio::sdk

#endif
