#include "torch_globals.hpp"

#include "torch_dtypes.hpp"

#include <array>
#include <utility>

namespace weightio::pytorch {

namespace {

using Named = std::pair<std::string_view, TensorKind>;

// torch._utils' rebuild functions for tensors weightio does not read. They
// may be named (and their arguments built, as data); calling one yields a
// refusal that names the tensor, so such a checkpoint is never half-read.
constexpr std::array<Named, 12> kUnsupportedRebuilds{{
    {"_rebuild_qtensor", TensorKind::quantized},
    {"_rebuild_sparse_tensor", TensorKind::sparse},
    {"_rebuild_sparse_csr_tensor", TensorKind::sparse},
    {"_rebuild_nested_tensor", TensorKind::nested},
    {"_rebuild_wrapper_subclass", TensorKind::subclass},
    {"_rebuild_meta_tensor_no_storage", TensorKind::meta},
    {"_rebuild_device_tensor_from_numpy", TensorKind::device_specific},
    {"_rebuild_xla_tensor", TensorKind::device_specific},
    {"_rebuild_mlc_tensor", TensorKind::device_specific},
    {"_rebuild_mps_tensor", TensorKind::device_specific},
    {"_rebuild_tensor", TensorKind::device_specific},
    {"_rebuild_tensor_v1", TensorKind::device_specific},
}};

constexpr std::array<std::string_view, 5> kQuantizedStorages{
    {"QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage"}};

// torch names that appear as data in the arguments of refused tensors (or
// as a dtype weightio has no type for): allowed as values, never callable.
constexpr std::array<std::string_view, 23> kTorchMarkers{{
    "qint8",
    "quint8",
    "qint32",
    "quint4x2",
    "quint2x4",
    "complex32",
    "chalf",
    "bits1x8",
    "bits2x4",
    "bits4x2",
    "bits8",
    "bits16",
    "per_tensor_affine",
    "per_channel_affine",
    "per_tensor_symmetric",
    "per_channel_symmetric",
    "per_channel_affine_float_qparams",
    "sparse_coo",
    "sparse_csr",
    "sparse_csc",
    "sparse_bsr",
    "sparse_bsc",
    "strided",
}};

template <class Array> bool contains(const Array &a, std::string_view name) {
  for (const auto &v : a)
    if (v == name)
      return true;
  return false;
}

std::optional<GlobalRef> torch_global(std::string_view name) {
  if (auto d = storage_class_dtype(name))
    return GlobalRef{GlobalKind::typed_storage, *d};
  if (name == "UntypedStorage")
    return GlobalRef{GlobalKind::untyped_storage};
  if (contains(kQuantizedStorages, name))
    return GlobalRef{GlobalKind::quantized_storage};
  if (auto d = torch_dtype(name))
    return GlobalRef{GlobalKind::dtype, *d};
  if (name == "Size")
    return GlobalRef{GlobalKind::size};
  if (name == "device")
    return GlobalRef{GlobalKind::device};
  if (contains(kTorchMarkers, name))
    return GlobalRef{GlobalKind::torch_marker};
  return std::nullopt;
}

std::optional<GlobalRef> utils_global(std::string_view name) {
  if (name == "_rebuild_tensor_v2")
    return GlobalRef{GlobalKind::rebuild_tensor_v2};
  if (name == "_rebuild_tensor_v3")
    return GlobalRef{GlobalKind::rebuild_tensor_v3};
  if (name == "_rebuild_parameter")
    return GlobalRef{GlobalKind::rebuild_parameter};
  if (name == "_rebuild_parameter_with_state")
    return GlobalRef{GlobalKind::rebuild_parameter_with_state};
  for (const auto &[n, kind] : kUnsupportedRebuilds)
    if (n == name)
      return GlobalRef{GlobalKind::unsupported_tensor, WIO_DTYPE_BOOL, kind};
  return std::nullopt;
}

} // namespace

std::string_view tensor_kind_name(TensorKind kind) noexcept {
  switch (kind) {
  case TensorKind::quantized:
    return "quantized tensor";
  case TensorKind::sparse:
    return "sparse tensor";
  case TensorKind::nested:
    return "nested tensor";
  case TensorKind::subclass:
    return "tensor subclass";
  case TensorKind::meta:
    return "meta tensor";
  case TensorKind::device_specific:
    return "device-specific tensor";
  }
  return "tensor";
}

std::optional<GlobalRef> resolve_global(std::string_view module, std::string_view name) noexcept {
  if (module == "torch")
    return torch_global(name);
  if (module == "torch._utils")
    return utils_global(name);
  if (module == "torch.storage" && name == "UntypedStorage")
    return GlobalRef{GlobalKind::untyped_storage};
  if (module == "torch._tensor" &&
      (name == "_rebuild_from_type" || name == "_rebuild_from_type_v2"))
    return GlobalRef{GlobalKind::unsupported_tensor, WIO_DTYPE_BOOL, TensorKind::subclass};
  if (module == "torch.serialization" && name == "_get_layout")
    return GlobalRef{GlobalKind::get_layout};
  if (module == "torch.nn.parameter" && name == "Parameter")
    return GlobalRef{GlobalKind::parameter};
  if (module == "collections" && name == "OrderedDict")
    return GlobalRef{GlobalKind::ordered_dict};
  if (module == "_codecs" && name == "encode")
    return GlobalRef{GlobalKind::codecs_encode};
  if (module == "__builtin__" || module == "builtins") {
    if (name == "set" || name == "frozenset")
      return GlobalRef{GlobalKind::builtin_set};
    if (name == "complex")
      return GlobalRef{GlobalKind::builtin_complex};
    if (name == "bytearray")
      return GlobalRef{GlobalKind::builtin_bytearray};
  }
  return std::nullopt;
}

} // namespace weightio::pytorch
