// The order in which the official writer lays out tensors: by dtype, largest
// first in the crate's `Dtype` declaration order (it sorts descending on the
// derived Ord), then by name. Matching it is what makes our files
// byte-identical to the official ones.
#pragma once

#include <weightio/plugin_abi.h>

#include <array>
#include <cstdint>

namespace weightio::safetensors {

inline constexpr std::array<int32_t, 22> kWriterDTypeOrder = {
    WIO_DTYPE_U64,         WIO_DTYPE_I64,     WIO_DTYPE_F64,     WIO_DTYPE_C64,
    WIO_DTYPE_F32,         WIO_DTYPE_U32,     WIO_DTYPE_I32,     WIO_DTYPE_BF16,
    WIO_DTYPE_F16,         WIO_DTYPE_U16,     WIO_DTYPE_I16,     WIO_DTYPE_F8_E5M2FNUZ,
    WIO_DTYPE_F8_E4M3FNUZ, WIO_DTYPE_F8_E8M0, WIO_DTYPE_F8_E4M3, WIO_DTYPE_F8_E5M2,
    WIO_DTYPE_I8,          WIO_DTYPE_U8,      WIO_DTYPE_F6_E3M2, WIO_DTYPE_F6_E2M3,
    WIO_DTYPE_F4,          WIO_DTYPE_BOOL,
};

// Position of d in kWriterDTypeOrder; d must be a safetensors dtype.
constexpr int writer_dtype_rank(int32_t d) {
  for (size_t i = 0; i < kWriterDTypeOrder.size(); ++i)
    if (kWriterDTypeOrder[i] == d)
      return static_cast<int>(i);
  return static_cast<int>(kWriterDTypeOrder.size());
}

// safetensors holds every weightio dtype except numpy's complex128.
constexpr bool is_safetensors_dtype(int32_t d) {
  return writer_dtype_rank(d) < static_cast<int>(kWriterDTypeOrder.size());
}

} // namespace weightio::safetensors
