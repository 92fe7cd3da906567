#include "torch_dtypes.hpp"

#include <array>
#include <utility>

namespace weightio::pytorch {

namespace {

struct StorageClass {
  std::string_view name;
  wio_dtype dtype;
};

// torch/storage.py's typed storages that hold plain elements. The quantized
// ones (QInt8Storage, ...) are left out: such tensors are refused by name.
constexpr std::array<StorageClass, 12> kStorageClasses{{
    {"BoolStorage", WIO_DTYPE_BOOL},
    {"ByteStorage", WIO_DTYPE_U8},
    {"CharStorage", WIO_DTYPE_I8},
    {"ShortStorage", WIO_DTYPE_I16},
    {"IntStorage", WIO_DTYPE_I32},
    {"LongStorage", WIO_DTYPE_I64},
    {"HalfStorage", WIO_DTYPE_F16},
    {"BFloat16Storage", WIO_DTYPE_BF16},
    {"FloatStorage", WIO_DTYPE_F32},
    {"DoubleStorage", WIO_DTYPE_F64},
    {"ComplexFloatStorage", WIO_DTYPE_C64},
    {"ComplexDoubleStorage", WIO_DTYPE_C128},
}};

// torch's dtype names and aliases (torch/_C/__init__.pyi), as a dtype's
// __reduce__ spells them in a pickle.
constexpr std::array<std::pair<std::string_view, wio_dtype>, 28> kDtypes{{
    {"bool", WIO_DTYPE_BOOL},
    {"uint8", WIO_DTYPE_U8},
    {"int8", WIO_DTYPE_I8},
    {"uint16", WIO_DTYPE_U16},
    {"int16", WIO_DTYPE_I16},
    {"short", WIO_DTYPE_I16},
    {"uint32", WIO_DTYPE_U32},
    {"int32", WIO_DTYPE_I32},
    {"int", WIO_DTYPE_I32},
    {"uint64", WIO_DTYPE_U64},
    {"int64", WIO_DTYPE_I64},
    {"long", WIO_DTYPE_I64},
    {"float16", WIO_DTYPE_F16},
    {"half", WIO_DTYPE_F16},
    {"bfloat16", WIO_DTYPE_BF16},
    {"float32", WIO_DTYPE_F32},
    {"float", WIO_DTYPE_F32},
    {"float64", WIO_DTYPE_F64},
    {"double", WIO_DTYPE_F64},
    {"complex64", WIO_DTYPE_C64},
    {"cfloat", WIO_DTYPE_C64},
    {"complex128", WIO_DTYPE_C128},
    {"cdouble", WIO_DTYPE_C128},
    {"float8_e4m3fn", WIO_DTYPE_F8_E4M3},
    {"float8_e5m2", WIO_DTYPE_F8_E5M2},
    {"float8_e4m3fnuz", WIO_DTYPE_F8_E4M3FNUZ},
    {"float8_e5m2fnuz", WIO_DTYPE_F8_E5M2FNUZ},
    {"float8_e8m0fnu", WIO_DTYPE_F8_E8M0},
}};

} // namespace

std::optional<wio_dtype> storage_class_dtype(std::string_view cls) noexcept {
  for (const auto &s : kStorageClasses)
    if (s.name == cls)
      return s.dtype;
  return std::nullopt;
}

std::string_view storage_class_of(wio_dtype dtype) noexcept {
  for (const auto &s : kStorageClasses)
    if (s.dtype == dtype)
      return s.name;
  return {};
}

std::optional<wio_dtype> torch_dtype(std::string_view name) noexcept {
  for (const auto &[n, d] : kDtypes)
    if (n == name)
      return d;
  return std::nullopt;
}

} // namespace weightio::pytorch
