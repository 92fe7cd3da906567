// Element-wise comparison of two tensors of the same dtype and shape, for
// `diff`: exact by default, numpy.allclose semantics with tolerances.
#pragma once

#include <weightio/tensor.hpp>

#include <cstdint>

namespace wcli {

struct Tolerance {
  double atol = 0.0;
  double rtol = 0.0;
};

struct ValueDiff {
  // Units compared: elements, or bytes when `bytewise`.
  uint64_t compared = 0;
  uint64_t differing = 0;
  // Largest |a - b| over elements where neither side is NaN (infinite when
  // an infinity meets a finite value). 0 when bytewise.
  double max_abs_diff = 0.0;
  // Elements where exactly one side is NaN (or NaNs in different places of
  // a complex value); counted in `differing`, not in max_abs_diff.
  uint64_t nan_mismatches = 0;
  // FP8, F4 and F6 have no common decoding worth trusting across formats,
  // so their bytes are compared instead of values (tolerances don't apply).
  bool bytewise = false;
};

// `a` and `b` must have the same dtype and shape. An element pair is equal
// when a == b (equal infinities included), when both are NaN, or when
// |a - b| <= atol + rtol * |b| as numpy.allclose (never for infinities).
// F16 and BF16 are widened exactly; integers compare exactly and their
// difference is computed without overflow.
ValueDiff compare_values(const weightio::TensorView &a, const weightio::TensorView &b,
                         const Tolerance &tol);

} // namespace wcli
