// The GLOBALs a checkpoint's pickle may name: weightio's allowlist. Each
// allowed (module, name) maps to what the machine makes of it; nothing is
// ever looked up in, imported from or called in any Python. Everything
// else is refused by the machine, naming module and name.
#pragma once

#include <weightio/plugin_abi.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace weightio::pytorch {

enum class GlobalKind : uint8_t {
  ordered_dict,                 // collections.OrderedDict
  rebuild_tensor_v2,            // torch._utils._rebuild_tensor_v2
  rebuild_tensor_v3,            // torch._utils._rebuild_tensor_v3 (dtype + untyped storage)
  rebuild_parameter,            // torch._utils._rebuild_parameter
  rebuild_parameter_with_state, // torch._utils._rebuild_parameter_with_state
  parameter,                    // torch.nn.parameter.Parameter (NEWOBJ / REDUCE)
  unsupported_tensor,           // _rebuild_qtensor and the like: `detail` names the kind
  typed_storage,                // torch.FloatStorage ...: `dtype`
  untyped_storage,              // torch.UntypedStorage: numel counts bytes
  quantized_storage,            // torch.QInt8Storage ...: only in refused tensors
  dtype,                        // torch.float32 ...: `dtype`
  torch_marker,                 // torch.qint8, torch.sparse_coo ...: data, never called
  size,                         // torch.Size: a tuple
  device,                       // torch.device: kept as an opaque value
  get_layout,                   // torch.serialization._get_layout: a layout, opaque
  builtin_set,                  // __builtin__.set / frozenset
  builtin_complex,              // __builtin__.complex
  builtin_bytearray,            // __builtin__.bytearray
  codecs_encode,                // _codecs.encode: how protocol 2 spells bytes
};

// Kinds of tensor weightio refuses by name (GlobalKind::unsupported_tensor).
enum class TensorKind : uint8_t {
  quantized,
  sparse,
  nested,
  subclass,
  meta,
  device_specific,
};

// "quantized tensor", "sparse tensor", ...
std::string_view tensor_kind_name(TensorKind kind) noexcept;

struct GlobalRef {
  GlobalKind kind;
  wio_dtype dtype = WIO_DTYPE_BOOL; // typed_storage and dtype
  TensorKind detail = TensorKind::quantized;
};

// What the allowlist makes of `module`.`name`, or nullopt when it is not
// on it. Python 3's `builtins` and protocol 2's `__builtin__` are one.
std::optional<GlobalRef> resolve_global(std::string_view module, std::string_view name) noexcept;

} // namespace weightio::pytorch
