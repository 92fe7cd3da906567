#include "tensor_layout.hpp"

#include "pytorch_error.hpp"

#include <weightio/plugin_sdk.hpp>

#include <string>

namespace weightio::pytorch {

namespace {

bool mul(uint64_t a, uint64_t b, uint64_t &out) {
  return !__builtin_mul_overflow(a, b, &out);
}
bool add(uint64_t a, uint64_t b, uint64_t &out) {
  return !__builtin_add_overflow(a, b, &out);
}

bool c_contiguous(const TensorRecord &t) {
  uint64_t expected = 1;
  for (size_t i = t.shape.size(); i-- > 0;) {
    const auto size = static_cast<uint64_t>(t.shape[i]);
    if (size != 1 && static_cast<uint64_t>(t.strides[i]) != expected)
      return false;
    expected *= size; // cannot overflow: numel was computed without overflow
  }
  return true;
}

} // namespace

TensorLayout tensor_layout(const TensorRecord &t, const StorageRecord &storage,
                           const StorageView &view, std::string_view name) {
  const unsigned bits = sdk::dtype_info(t.dtype).bits;
  if (bits % 8 != 0)
    refuse(PtError::tensor, "its dtype has sub-byte elements", name);
  const uint64_t elsize = bits / 8;
  // The view's elements, and where it starts, in this tensor's elements.
  uint64_t view_elems = view.numel;
  uint64_t base = view.base;
  if (!storage.typed) {
    view_elems = view.numel / elsize;
    base = view.base / elsize;
  }

  TensorLayout l;
  l.numel = 1;
  for (int64_t d : t.shape)
    if (!mul(l.numel, static_cast<uint64_t>(d), l.numel))
      refuse(PtError::tensor, "the product of its dimensions overflows 64 bits", name);
  if (!mul(l.numel, elsize, l.nbytes))
    refuse(PtError::tensor,
           "its " + std::to_string(l.numel) + " elements' byte size overflows 64 bits", name);

  if (l.numel == 0) {
    if (t.offset > view_elems)
      refuse(PtError::tensor,
             "its storage offset " + std::to_string(t.offset) + " lies past its storage's " +
                 std::to_string(view_elems) + " elements",
             name);
  } else {
    uint64_t last = t.offset;
    for (size_t i = 0; i < t.shape.size(); ++i) {
      uint64_t span = 0;
      if (!mul(static_cast<uint64_t>(t.shape[i] - 1), static_cast<uint64_t>(t.strides[i]), span) ||
          !add(last, span, last))
        refuse(PtError::tensor, "its last element's index overflows 64 bits", name);
    }
    if (last >= view_elems)
      refuse(PtError::tensor,
             "it reaches element " + std::to_string(last) + " of a storage of " +
                 std::to_string(view_elems) + " elements (a view past its storage)",
             name);
  }
  l.element_offset = base + t.offset;
  l.contiguous = l.numel <= 1 || c_contiguous(t);
  return l;
}

} // namespace weightio::pytorch
