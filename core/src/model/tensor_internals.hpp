// What only a load may set on a Tensor: how its bytes reached memory.
#pragma once

#include <weightio/tensor.hpp>

namespace weightio::detail {

struct TensorInternals {
  static Tensor placed(Tensor t, Placement placement) noexcept {
    t.placement_ = placement;
    return t;
  }
};

} // namespace weightio::detail
