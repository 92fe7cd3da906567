// What only a load may set on a Tensor: how its bytes reached memory, and
// the storage its file says they belong to.
#pragma once

#include <weightio/tensor.hpp>

namespace weightio::detail {

struct TensorInternals {
  static Tensor placed(Tensor t, Placement placement) noexcept {
    t.placement_ = placement;
    return t;
  }
  static void set_storage(Tensor &t, uint64_t storage) noexcept { t.storage_ = storage; }
};

} // namespace weightio::detail
