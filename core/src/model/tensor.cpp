#include "memory/buffer_pool.hpp"

#include <weightio/dtype_info.hpp>
#include <weightio/error.hpp>
#include <weightio/params.hpp>
#include <weightio/tensor.hpp>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

namespace weightio {

std::string shape_to_string(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

uint64_t shape_numel(const Shape &shape) {
  auto n = sdk::checked_numel(shape.data(), static_cast<uint32_t>(shape.size()));
  if (!n)
    throw Error(ErrorCode::InvalidArgument, "invalid shape " + shape_to_string(shape) +
                                                ": negative extent or element count overflow");
  return *n;
}

uint64_t shape_nbytes(DType dtype, const Shape &shape) {
  if (!dtype_valid(static_cast<int32_t>(dtype)))
    throw Error(ErrorCode::InvalidArgument,
                "invalid dtype value " + std::to_string(static_cast<int32_t>(dtype)));
  const uint64_t numel = shape_numel(shape);
  auto n = sdk::checked_nbytes(static_cast<int32_t>(dtype), numel);
  if (!n)
    throw Error(ErrorCode::InvalidArgument,
                "invalid shape " + shape_to_string(shape) + " for " +
                    std::string(dtype_name(dtype)) +
                    ": byte size overflows or does not end on a byte boundary");
  return *n;
}

uint64_t shape_nbytes(const BlockType &block, const Shape &shape) {
  const std::string what = "invalid shape " + shape_to_string(shape) + " for " + block.name;
  if (shape.empty())
    throw Error(ErrorCode::InvalidArgument, what + ": a block-quantized tensor cannot be a scalar");
  const uint64_t numel = shape_numel(shape);
  if (static_cast<uint64_t>(shape.back()) % block.block_elements != 0)
    throw Error(ErrorCode::InvalidArgument,
                what + ": the innermost dimension " + std::to_string(shape.back()) +
                    " is not a multiple of the block size " + std::to_string(block.block_elements));
  const uint64_t blocks = numel / block.block_elements;
  if (block.block_bytes != 0 && blocks > UINT64_MAX / block.block_bytes)
    throw Error(ErrorCode::InvalidArgument, what + ": byte size overflows");
  return blocks * block.block_bytes;
}

TensorView::TensorView(const BlockType *block, Shape shape, const void *data)
    : dtype_(DType::Block), block_(block), shape_(std::move(shape)), data_(data) {
  if (block == nullptr)
    throw Error(ErrorCode::InvalidArgument, "block-quantized tensor without a block type");
  nbytes_ = shape_nbytes(*block, shape_);
  if (data_ == nullptr && nbytes_ != 0)
    throw Error(ErrorCode::InvalidArgument, "tensor data is null but the shape " +
                                                shape_to_string(shape_) + " holds " +
                                                std::to_string(nbytes_) + " bytes");
}

std::string_view TensorView::type_name() const noexcept {
  return block_ ? std::string_view(block_->name) : dtype_name(dtype_);
}

TensorView::TensorView(DType dtype, Shape shape, const void *data)
    : dtype_(dtype), shape_(std::move(shape)), data_(data) {
  if (!dtype_valid(static_cast<int32_t>(dtype)))
    throw Error(ErrorCode::InvalidArgument,
                "invalid dtype value " + std::to_string(static_cast<int32_t>(dtype)));
  nbytes_ = shape_nbytes(dtype_, shape_);
  if (data_ == nullptr && nbytes_ != 0)
    throw Error(ErrorCode::InvalidArgument, "tensor data is null but the shape " +
                                                shape_to_string(shape_) + " holds " +
                                                std::to_string(nbytes_) + " bytes");
}

uint64_t TensorView::numel() const {
  return shape_numel(shape_);
}

void TensorView::check_element_type(size_t size) const {
  if (size == 1 || (block_ == nullptr && size * 8 == dtype_bits(dtype_)))
    return;
  throw Error(ErrorCode::InvalidArgument, "data<T>(): a " + std::to_string(size) +
                                              "-byte element type does not match dtype " +
                                              std::string(type_name()));
}

std::shared_ptr<void> allocate_aligned(uint64_t size, uint64_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    throw Error(ErrorCode::InvalidArgument,
                "alignment " + std::to_string(alignment) + " is not a power of two");
  if (alignment < alignof(std::max_align_t))
    alignment = alignof(std::max_align_t);
  // Large copies: 2 MiB-aligned, huge pages where the kernel gives them,
  // reused after release (buffer_pool.hpp).
  if (size >= detail::kLargeBuffer && alignment <= detail::kLargeBuffer)
    return detail::allocate_large(size);
  // Round up so aligned_alloc's size contract holds; 0-byte tensors still
  // get a real, unique pointer.
  uint64_t rounded = (size + alignment - 1) / alignment * alignment;
  if (rounded < size)
    throw std::bad_alloc();
  if (rounded == 0)
    rounded = alignment;
  void *p = std::aligned_alloc(alignment, rounded);
  if (p == nullptr)
    throw std::bad_alloc();
  return std::shared_ptr<void>(p, [](void *q) { std::free(q); });
}

std::string_view placement_name(Placement placement) noexcept {
  switch (placement) {
  case Placement::none:
    return "none";
  case Placement::mapped:
    return "mapped";
  case Placement::copied:
    return "copied";
  case Placement::gathered:
    return "gathered";
  case Placement::decoded:
    return "decoded";
  case Placement::fetched:
    return "fetched";
  }
  return "none";
}

Tensor Tensor::zeros(DType dtype, Shape shape) {
  const uint64_t n = shape_nbytes(dtype, shape);
  auto buf = allocate_aligned(n);
  std::memset(buf.get(), 0, n);
  const void *data = buf.get();
  return Tensor(dtype, std::move(shape), data, std::move(buf));
}

Tensor Tensor::copy_of(const TensorView &view) {
  auto buf = allocate_aligned(view.nbytes());
  if (view.nbytes() != 0)
    std::memcpy(buf.get(), view.data(), view.nbytes());
  const void *data = buf.get();
  if (view.block_type() != nullptr)
    return Tensor(TensorView(view.block_type(), view.shape(), data), std::move(buf));
  return Tensor(view.dtype(), view.shape(), data, std::move(buf));
}

Tensor::Tensor(const TensorView &view, std::shared_ptr<const void> owner, bool mapped,
               bool writable)
    : view_(view), owner_(std::move(owner)), mapped_(mapped), writable_(writable && !mapped),
      placement_(mapped ? Placement::mapped : Placement::copied) {
  const uint64_t align =
      view.block_type() ? view.block_type()->alignment : dtype_alignment(view.dtype());
  if (align > 1 && reinterpret_cast<uintptr_t>(view.data()) % align != 0)
    throw Error(ErrorCode::InvalidArgument,
                "tensor data is not aligned for " + std::string(view.type_name()));
}

Tensor::Tensor(DType dtype, Shape shape, const void *data, std::shared_ptr<const void> owner,
               bool mapped, bool writable)
    : view_(dtype, std::move(shape), data), owner_(std::move(owner)), mapped_(mapped),
      writable_(writable && !mapped), placement_(mapped ? Placement::mapped : Placement::copied) {
  if (reinterpret_cast<uintptr_t>(data) % dtype_alignment(dtype) != 0)
    throw Error(ErrorCode::InvalidArgument,
                "tensor data is not aligned for " + std::string(dtype_name(dtype)));
}

void *Tensor::mutable_data() {
  if (!writable_)
    throw Error(ErrorCode::InvalidArgument,
                "tensor is a read-only view into loaded bytes (a memory-mapped file or a "
                "caller's buffer); copy it first (Tensor::copy_of)");
  return const_cast<void *>(view_.data());
}

FlatParams Weights::views() const {
  FlatParams out;
  out.reserve(size());
  for (const auto &[name, tensor] : *this)
    out.emplace(name, tensor.view());
  return out;
}

} // namespace weightio
