#include "element_order.hpp"

#include <cstring>

namespace weightio::npz {
namespace {

template <unsigned N> void swap_units(uint8_t *p, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i, p += N)
    for (unsigned k = 0; k < N / 2; ++k) {
      const uint8_t t = p[k];
      p[k] = p[N - 1 - k];
      p[N - 1 - k] = t;
    }
}

// Walks the C-order output with an odometer and reads each element at its
// Fortran offset; the innermost C axis is the outermost Fortran one, so the
// inner loop strides through the source.
template <unsigned N>
void transpose(const uint8_t *src, uint8_t *dst, const std::vector<int64_t> &shape) {
  const size_t ndim = shape.size();
  if (ndim < 2) // callers only transpose arrays where the orders differ
    return;
  std::vector<uint64_t> fstride(ndim); // Fortran strides, in elements
  uint64_t s = 1;
  for (size_t k = 0; k < ndim; ++k) {
    fstride[k] = s;
    s *= static_cast<uint64_t>(shape[k]);
  }
  const uint64_t inner = static_cast<uint64_t>(shape[ndim - 1]);
  const uint64_t inner_stride = fstride[ndim - 1] * N;
  std::vector<uint64_t> index(ndim, 0);
  uint64_t base = 0; // source offset of the row start, in elements
  for (uint64_t done = 0; done < s; done += inner) {
    const uint8_t *from = src + base * N;
    for (uint64_t i = 0; i < inner; ++i, from += inner_stride, dst += N)
      std::memcpy(dst, from, N);
    // Advance the outer indices (all but the last axis) like an odometer.
    for (size_t k = ndim - 1; k-- > 0;) {
      base += fstride[k];
      if (++index[k] < static_cast<uint64_t>(shape[k]))
        break;
      base -= fstride[k] * index[k];
      index[k] = 0;
    }
  }
}

} // namespace

void byteswap_in_place(void *data, uint64_t nbytes, unsigned unit) {
  auto *p = static_cast<uint8_t *>(data);
  switch (unit) {
  case 2:
    swap_units<2>(p, nbytes / 2);
    break;
  case 4:
    swap_units<4>(p, nbytes / 4);
    break;
  case 8:
    swap_units<8>(p, nbytes / 8);
    break;
  default:
    break;
  }
}

bool fortran_is_c_order(const std::vector<int64_t> &shape) {
  int larger_than_one = 0;
  for (int64_t d : shape) {
    if (d == 0)
      return true;
    larger_than_one += d > 1;
  }
  return larger_than_one <= 1;
}

void fortran_to_c_order(const void *src, void *dst, const std::vector<int64_t> &shape,
                        unsigned element_size) {
  const auto *s = static_cast<const uint8_t *>(src);
  auto *d = static_cast<uint8_t *>(dst);
  switch (element_size) {
  case 1:
    return transpose<1>(s, d, shape);
  case 2:
    return transpose<2>(s, d, shape);
  case 4:
    return transpose<4>(s, d, shape);
  case 8:
    return transpose<8>(s, d, shape);
  case 16:
    return transpose<16>(s, d, shape);
  default:
    break;
  }
}

} // namespace weightio::npz
