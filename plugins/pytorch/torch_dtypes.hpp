// torch's names for element types, both ways: the typed storage classes
// torch.save writes (`torch FloatStorage`) and the dtype globals of
// _rebuild_tensor_v3 (`torch float32`), against weightio's dtypes.
#pragma once

#include <weightio/plugin_abi.h>

#include <optional>
#include <string_view>

namespace weightio::pytorch {

// The dtype of a typed storage class ("FloatStorage"), or nullopt for one
// weightio has no dtype for or does not know.
std::optional<wio_dtype> storage_class_dtype(std::string_view cls) noexcept;

// The typed storage class torch 1.13 writes for `dtype` ("FloatStorage"),
// or "" for a dtype torch 1.13 has no storage class for (u16-u64, f8, ...).
std::string_view storage_class_of(wio_dtype dtype) noexcept;

// The dtype a torch dtype global names ("float32", "half", "float8_e4m3fn"),
// or nullopt.
std::optional<wio_dtype> torch_dtype(std::string_view name) noexcept;

} // namespace weightio::pytorch
