#include "dequantize.hpp"

#include "dequant_kernels.hpp"
#include "float_bits.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <string>

namespace weightio::gguf::ggml {

namespace {

using kernels::Kernel;
using sdk::ByteOrder;

Kernel block_kernel(Type t) noexcept {
  switch (t) {
  case Type::Q4_0:
    return kernels::q4_0;
  case Type::Q4_1:
    return kernels::q4_1;
  case Type::Q5_0:
    return kernels::q5_0;
  case Type::Q5_1:
    return kernels::q5_1;
  case Type::Q8_0:
    return kernels::q8_0;
  case Type::Q1_0:
    return kernels::q1_0;
  case Type::Q2_0:
    return kernels::q2_0;
  case Type::MXFP4:
    return kernels::mxfp4;
  case Type::NVFP4:
    return kernels::nvfp4;
  case Type::IQ4_NL:
    return kernels::iq4_nl;
  case Type::Q2_K:
    return kernels::q2_k;
  case Type::Q3_K:
    return kernels::q3_k;
  case Type::Q4_K:
    return kernels::q4_k;
  case Type::Q5_K:
    return kernels::q5_k;
  case Type::Q6_K:
    return kernels::q6_k;
  case Type::Q8_K:
    return kernels::q8_k;
  case Type::TQ1_0:
    return kernels::tq1_0;
  case Type::TQ2_0:
    return kernels::tq2_0;
  case Type::IQ2_XXS:
    return kernels::iq2_xxs;
  case Type::IQ2_XS:
    return kernels::iq2_xs;
  case Type::IQ2_S:
    return kernels::iq2_s;
  case Type::IQ3_XXS:
    return kernels::iq3_xxs;
  case Type::IQ3_S:
    return kernels::iq3_s;
  case Type::IQ1_S:
    return kernels::iq1_s;
  case Type::IQ1_M:
    return kernels::iq1_m;
  case Type::IQ4_XS:
    return kernels::iq4_xs;
  default:
    return nullptr;
  }
}

// Plain floating-point elements to float32, in either byte order. F64 is
// narrowed with the C++ conversion (round to nearest even, as numpy's
// astype(float32)).
void plain_to_f32(Type t, const uint8_t *x, uint64_t n, float *y, ByteOrder order) {
  switch (t) {
  case Type::F32:
    if (order == ByteOrder::little) {
      std::memcpy(y, x, n * 4);
    } else {
      for (uint64_t i = 0; i < n; ++i)
        y[i] = f32_from_bits(sdk::load<uint32_t>(x + 4 * i, order));
    }
    return;
  case Type::F16:
    for (uint64_t i = 0; i < n; ++i)
      y[i] = f16_to_f32(sdk::load<uint16_t>(x + 2 * i, order));
    return;
  case Type::BF16:
    for (uint64_t i = 0; i < n; ++i)
      y[i] = bf16_to_f32(sdk::load<uint16_t>(x + 2 * i, order));
    return;
  case Type::F64:
    for (uint64_t i = 0; i < n; ++i)
      y[i] = static_cast<float>(std::bit_cast<double>(sdk::load<uint64_t>(x + 8 * i, order)));
    return;
  default:
    return;
  }
}

void to_f32(const TypeInfo &type, const uint8_t *x, uint64_t nblocks, float *y, ByteOrder order) {
  if (type.kind == Kind::floating)
    plain_to_f32(type.type, x, nblocks, y, order);
  else
    block_kernel(type.type)(x, nblocks, y);
}

} // namespace

void dequantize(const TypeInfo &type, const void *src, uint64_t first_block, uint64_t nblocks,
                void *dst, OutType out, ByteOrder order) {
  if (!type.dequantizable || (type.kind == Kind::quantized && block_kernel(type.type) == nullptr))
    throw std::invalid_argument("ggml type " + std::string(type.name) +
                                " has no reference dequantization");
  if (nblocks == 0) // src and dst may be null for an empty tensor
    return;
  const auto *x = static_cast<const uint8_t *>(src) + first_block * type.block_bytes;
  const uint64_t first_elem = first_block * type.block_elems;
  if (out == OutType::f32) {
    to_f32(type, x, nblocks, static_cast<float *>(dst) + first_elem, order);
    return;
  }
  // 16-bit outputs: decode a slice of blocks into float32 on the stack, then
  // round it, so no caller buffer is ever needed twice the output's size.
  constexpr uint64_t kSliceElems = 4096;
  float slice[kSliceElems];
  const uint64_t blocks_per_slice = std::max<uint64_t>(1, kSliceElems / type.block_elems);
  auto *y = static_cast<uint16_t *>(dst) + first_elem;
  for (uint64_t done = 0; done < nblocks;) {
    const uint64_t n = std::min(blocks_per_slice, nblocks - done);
    to_f32(type, x + done * type.block_bytes, n, slice, order);
    const uint64_t elems = n * type.block_elems;
    if (out == OutType::f16) {
      for (uint64_t i = 0; i < elems; ++i)
        y[i] = f32_to_f16(slice[i]);
    } else {
      for (uint64_t i = 0; i < elems; ++i)
        y[i] = f32_to_bf16(slice[i]);
    }
    y += elems;
    done += n;
  }
}

} // namespace weightio::gguf::ggml
