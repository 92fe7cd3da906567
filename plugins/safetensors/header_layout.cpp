#include "header_error.hpp"
#include "header_parts.hpp"

#include <weightio/dtype_info.hpp>
#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <limits>
#include <string>

namespace weightio::safetensors {

namespace {

std::string shape_text(const uint64_t *extents, uint32_t ndim) {
  std::string out = "[";
  for (uint32_t i = 0; i < ndim; ++i) {
    if (i != 0)
      out += ", ";
    out += std::to_string(extents[i]);
  }
  return out + "]";
}

} // namespace

uint64_t validate_layout(const ParsedHeader &h) {
  const std::vector<uint64_t> &raw = h.extents;
  uint64_t start = 0;
  const TensorEntry *prev = nullptr;
  for (const TensorEntry &t : h.tensors) {
    const uint64_t *ext = raw.data() + t.shape_pos;
    // Messages are built only on failure: this loop runs once per tensor.
    auto ref = [&] { return "tensor " + sdk::quoted(h.name(t)); };
    auto offsets = [&] {
      return "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
    };
    auto desc = [&] {
      return std::string(sdk::dtype_info(t.dtype).name) + shape_text(ext, t.ndim);
    };

    if (t.end < t.begin)
      refuse(HeaderError::bad_offsets,
             ref() + " has " + offsets() + ", which end before they begin");
    if (t.begin != start) {
      const std::string where = prev == nullptr
                                    ? std::string("the first tensor's data must begin at offset 0")
                                    : "it must begin at " + std::to_string(start) +
                                          ", where tensor " + sdk::quoted(h.name(*prev)) + " ends";
      const char *why = prev == nullptr   ? ""
                        : t.begin < start ? " (the tensors overlap)"
                                          : " (there is a gap between the tensors)";
      refuse(HeaderError::bad_offsets, ref() + " has " + offsets() + " but " + where + why);
    }
    start = t.end;

    uint64_t numel = 1;
    for (uint32_t i = 0; i < t.ndim; ++i) {
      // int64 extents are what the ABI carries; only a zero-size tensor
      // could hold a larger one without overflowing below.
      if (ext[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        refuse(HeaderError::shape_overflow,
               ref() + ": " + desc() +
                   " has an extent above 2^63-1, which weightio cannot represent");
      if (ext[i] != 0 && numel > UINT64_MAX / ext[i])
        refuse(HeaderError::shape_overflow,
               ref() + ": the size of " + desc() + " overflows 64 bits");
      numel *= ext[i];
    }
    const uint64_t bits = sdk::dtype_info(t.dtype).bits;
    if (numel > UINT64_MAX / bits)
      refuse(HeaderError::shape_overflow, ref() + ": the size of " + desc() + " overflows 64 bits");
    if ((numel * bits) % 8 != 0)
      refuse(HeaderError::partial_byte, ref() + ": " + desc() + " is " +
                                            std::to_string(numel * bits) +
                                            " bits, which does not end on a byte boundary");
    const uint64_t need = numel * bits / 8;
    if (t.end - t.begin != need)
      refuse(HeaderError::size_mismatch, ref() + ": " + desc() + " needs " + std::to_string(need) +
                                             " bytes but its " + offsets() + " span " +
                                             std::to_string(t.end - t.begin));
    prev = &t;
  }
  return start;
}

} // namespace weightio::safetensors
