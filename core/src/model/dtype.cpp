#include <weightio/dtype.hpp>
#include <weightio/dtype_info.hpp>

namespace weightio {

static_assert(kDTypeCount == WIO_DTYPE_COUNT_V1, "DType must mirror wio_dtype");
static_assert(static_cast<int32_t>(DType::F6_E3M2) == WIO_DTYPE_F6_E3M2);
static_assert(static_cast<int32_t>(DType::C128) == WIO_DTYPE_C128);
static_assert(static_cast<int32_t>(DType::BF16) == WIO_DTYPE_BF16);

// Out-of-range values (a cast from a bad integer) answer 0 / "?" / 1 instead
// of reading past the table.
uint32_t dtype_bits(DType d) noexcept {
  return dtype_valid(static_cast<int32_t>(d)) ? sdk::dtype_info(static_cast<int32_t>(d)).bits : 0;
}

std::string_view dtype_name(DType d) noexcept {
  return dtype_valid(static_cast<int32_t>(d)) ? sdk::dtype_info(static_cast<int32_t>(d)).name
                                              : std::string_view("?");
}

std::optional<DType> dtype_from_name(std::string_view name) noexcept {
  if (auto d = sdk::dtype_from_name(name))
    return static_cast<DType>(*d);
  return std::nullopt;
}

uint64_t dtype_alignment(DType d) noexcept {
  return dtype_valid(static_cast<int32_t>(d)) ? sdk::dtype_alignment(static_cast<int32_t>(d)) : 1;
}

bool dtype_valid(int32_t value) noexcept {
  return sdk::dtype_valid(value);
}

} // namespace weightio
