#include "value_compare.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <complex>
#include <cstring>
#include <stdexcept>

namespace wcli {

using weightio::DType;

static_assert(std::endian::native == std::endian::little,
              "tensor bytes are little-endian; decoding assumes a little-endian host");

namespace {

// long double holds every value of every integer and float dtype exactly on
// x86-64 (64-bit mantissa), so I64/U64 differences don't round.
using Real = long double;

template <class T> T load(const uint8_t *p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

Real f16_value(uint16_t h) {
  const int exp = (h >> 10) & 0x1F;
  const int mant = h & 0x3FF;
  Real v;
  if (exp == 0)
    v = std::ldexp(static_cast<Real>(mant), -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<Real>(mant + 1024), exp - 25);
  return (h & 0x8000) ? -v : v;
}

Real bf16_value(uint16_t b) {
  return std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
}

class Accumulator {
public:
  Accumulator(const Tolerance &tol, ValueDiff &out) : tol_(tol), out_(out) {}

  void real(Real a, Real b) {
    const bool an = std::isnan(a), bn = std::isnan(b);
    if (an || bn) {
      if (!(an && bn))
        nan_mismatch();
      return;
    }
    if (a == b)
      return;
    const Real d = std::fabs(a - b);
    note(d);
    if (std::isinf(a) || std::isinf(b) || d > tol_.atol + tol_.rtol * std::fabs(b))
      ++out_.differing;
  }

  void complex(std::complex<Real> a, std::complex<Real> b) {
    const bool an = std::isnan(a.real()) || std::isnan(a.imag());
    const bool bn = std::isnan(b.real()) || std::isnan(b.imag());
    if (an || bn) {
      // Equal only with NaN in the same parts and the other parts equal.
      auto same = [](Real x, Real y) { return std::isnan(x) ? std::isnan(y) : x == y; };
      if (!(same(a.real(), b.real()) && same(a.imag(), b.imag())))
        nan_mismatch();
      return;
    }
    if (a == b)
      return;
    const bool inf = std::isinf(a.real()) || std::isinf(a.imag()) || std::isinf(b.real()) ||
                     std::isinf(b.imag());
    const Real d = inf ? INFINITY : std::abs(a - b);
    note(d);
    if (inf || d > tol_.atol + tol_.rtol * std::abs(b))
      ++out_.differing;
  }

private:
  void nan_mismatch() {
    ++out_.differing;
    ++out_.nan_mismatches;
  }
  void note(Real d) {
    if (static_cast<double>(d) > out_.max_abs_diff)
      out_.max_abs_diff = static_cast<double>(d);
  }

  Tolerance tol_;
  ValueDiff &out_;
};

// Calls visit(acc, pa, pb) for each element pair, skipping runs of equal
// bytes: equal bytes are equal values (NaN payloads included), and most
// tensors in a diff are identical or nearly so.
template <size_t Size, class Visit>
void each_element(const uint8_t *a, const uint8_t *b, uint64_t n, Accumulator &acc, Visit visit) {
  constexpr uint64_t kBlock = 4096 / Size; // elements per memcmp block
  for (uint64_t i = 0; i < n; i += kBlock) {
    const uint64_t count = std::min(kBlock, n - i);
    const uint8_t *pa = a + i * Size, *pb = b + i * Size;
    if (std::memcmp(pa, pb, count * Size) == 0)
      continue;
    for (uint64_t k = 0; k < count; ++k)
      visit(acc, pa + k * Size, pb + k * Size);
  }
}

template <class T>
void compare_real(const uint8_t *a, const uint8_t *b, uint64_t n, Accumulator &acc) {
  each_element<sizeof(T)>(a, b, n, acc, [](Accumulator &ac, const uint8_t *x, const uint8_t *y) {
    ac.real(static_cast<Real>(load<T>(x)), static_cast<Real>(load<T>(y)));
  });
}

template <class T>
void compare_complex(const uint8_t *a, const uint8_t *b, uint64_t n, Accumulator &acc) {
  each_element<2 * sizeof(T)>(
      a, b, n, acc, [](Accumulator &ac, const uint8_t *x, const uint8_t *y) {
        ac.complex({load<T>(x), load<T>(x + sizeof(T))}, {load<T>(y), load<T>(y + sizeof(T))});
      });
}

} // namespace

ValueDiff compare_values(const weightio::TensorView &a, const weightio::TensorView &b,
                         const Tolerance &tol) {
  if (a.type_name() != b.type_name() || a.shape() != b.shape())
    throw std::logic_error("compare_values: dtype or shape differ");
  ValueDiff out;
  Accumulator acc(tol, out);
  const auto *pa = static_cast<const uint8_t *>(a.data());
  const auto *pb = static_cast<const uint8_t *>(b.data());
  const uint64_t n = a.numel();
  out.compared = n;
  switch (a.dtype()) {
  case DType::BOOL:
    each_element<1>(pa, pb, n, acc, [](Accumulator &ac, const uint8_t *x, const uint8_t *y) {
      ac.real(*x != 0, *y != 0);
    });
    break;
  case DType::U8:
    compare_real<uint8_t>(pa, pb, n, acc);
    break;
  case DType::I8:
    compare_real<int8_t>(pa, pb, n, acc);
    break;
  case DType::U16:
    compare_real<uint16_t>(pa, pb, n, acc);
    break;
  case DType::I16:
    compare_real<int16_t>(pa, pb, n, acc);
    break;
  case DType::U32:
    compare_real<uint32_t>(pa, pb, n, acc);
    break;
  case DType::I32:
    compare_real<int32_t>(pa, pb, n, acc);
    break;
  case DType::U64:
    compare_real<uint64_t>(pa, pb, n, acc);
    break;
  case DType::I64:
    compare_real<int64_t>(pa, pb, n, acc);
    break;
  case DType::F16:
    each_element<2>(pa, pb, n, acc, [](Accumulator &ac, const uint8_t *x, const uint8_t *y) {
      ac.real(f16_value(load<uint16_t>(x)), f16_value(load<uint16_t>(y)));
    });
    break;
  case DType::BF16:
    each_element<2>(pa, pb, n, acc, [](Accumulator &ac, const uint8_t *x, const uint8_t *y) {
      ac.real(bf16_value(load<uint16_t>(x)), bf16_value(load<uint16_t>(y)));
    });
    break;
  case DType::F32:
    compare_real<float>(pa, pb, n, acc);
    break;
  case DType::F64:
    compare_real<double>(pa, pb, n, acc);
    break;
  case DType::C64:
    compare_complex<float>(pa, pb, n, acc);
    break;
  case DType::C128:
    compare_complex<double>(pa, pb, n, acc);
    break;
  default: // FP8, F4, F6, block-quantized types
    out.bytewise = true;
    out.compared = a.nbytes();
    for (uint64_t i = 0; i < a.nbytes(); ++i)
      out.differing += pa[i] != pb[i];
    break;
  }
  return out;
}

} // namespace wcli
