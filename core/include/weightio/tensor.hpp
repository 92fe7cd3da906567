// Tensors: TensorView borrows bytes, Tensor owns them (or keeps the memory
// map they live in alive). Both describe C-contiguous, little-endian data.
#pragma once

#include <weightio/block_type.hpp>
#include <weightio/dtype.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace weightio {

using Shape = std::vector<int64_t>;

// "[3, 4]", "[]" for a scalar: how messages print shapes.
std::string shape_to_string(const Shape &shape);

// Checked element count and byte size. Throw weightio::Error
// (ErrorCode::InvalidArgument) on a negative extent, on overflow, or when a
// sub-byte tensor does not end on a byte boundary.
uint64_t shape_numel(const Shape &shape);
uint64_t shape_nbytes(DType dtype, const Shape &shape);
// Bytes of a block-typed tensor; throws Error(InvalidArgument) when the
// shape is a scalar, its innermost dimension is not a multiple of the
// block, or the size overflows.
uint64_t shape_nbytes(const BlockType &block, const Shape &shape);

// A non-owning view. The caller keeps `data` alive and unchanged for as long
// as the view is used (a save reads it during save_weights only).
class TensorView {
public:
  // An empty F32 tensor of shape [0] (no bytes, null data).
  TensorView() : shape_{0} {}
  // Throws Error(InvalidArgument) when the shape is invalid (see
  // shape_nbytes) or data is null while the tensor holds bytes.
  TensorView(DType dtype, Shape shape, const void *data);
  // A block-quantized tensor (dtype() is DType::Block); `block` must come
  // from find_block_type / define_block_type. Throws like shape_nbytes.
  TensorView(const BlockType *block, Shape shape, const void *data);

  // The same description without the bytes: data() is null, nbytes() still
  // says what the tensor holds. What LoadOptions::describe_only loads; a
  // save refuses such a view.
  TensorView without_data() const noexcept {
    TensorView v = *this;
    v.data_ = nullptr;
    return v;
  }

  DType dtype() const noexcept { return dtype_; }
  // The block type of a DType::Block tensor, else nullptr.
  const BlockType *block_type() const noexcept { return block_; }
  // The dtype's name ("F32"), or the block type's ("ggml.Q4_0").
  std::string_view type_name() const noexcept;
  const Shape &shape() const noexcept { return shape_; }
  uint64_t nbytes() const noexcept { return nbytes_; }
  uint64_t numel() const;
  const void *data() const noexcept { return data_; }
  // Typed access; throws Error(InvalidArgument) when T's width does not
  // match the dtype (any 1-byte T is allowed, for raw bytes).
  template <class T> const T *data() const {
    check_element_type(sizeof(T));
    return static_cast<const T *>(data_);
  }

private:
  void check_element_type(size_t size) const;
  DType dtype_ = DType::F32;
  const BlockType *block_ = nullptr;
  Shape shape_;
  const void *data_ = nullptr;
  uint64_t nbytes_ = 0;
};

// How a loaded tensor's bytes reached memory (Tensor::placement(), and
// `placement` in `weightio inspect --json --hash` and `verify --json`).
enum class Placement : uint8_t {
  // No bytes: a LoadOptions::describe_only description, or Tensor().
  none,
  // A view into the loaded input, nothing copied: the file's memory map
  // (is_mapped()), or the bytes lent to load_weights_from_memory with a
  // keep_alive.
  mapped,
  // The bytes as the file stores them, copied into memory of their own or
  // the caller's: the input is read rather than mapped (read_into_memory, a
  // network or FUSE file system, a file system that can't map), the tensor
  // is not aligned for its type in the file, load_weights_into's buffer
  // took them, or load_weights_from_memory copied its input. A tensor the
  // program makes (zeros, copy_of, the constructors below without `mapped`)
  // says copied too.
  copied,
  // Elements from several places of the input put together in C order by
  // the host: a strided view of a storage (a PyTorch checkpoint's
  // transposed, narrowed or expanded tensor). A format's own reordering (an
  // npz member in Fortran order) is `decoded`.
  gathered,
  // Made by the format's code from what the file stores: inflated (a
  // compressed npz member), dequantized (a GGUF block type loaded with
  // dequantize), byte-swapped (a big-endian file), reordered into C order
  // (a Fortran-order npz member); by the format's decode on the load's
  // threads, or in a buffer its reader filled.
  decoded,
  // Reserved for bytes read from a remote source. Every input is a local
  // file or memory today, so no load produces it yet.
  fetched,
};

// "none", "mapped", "copied", "gathered", "decoded", "fetched".
std::string_view placement_name(Placement placement) noexcept;

namespace detail {
struct TensorInternals;
}

// An owning tensor. Copies share the same bytes (like a shared_ptr). The data
// pointer is aligned for the dtype. A tensor loaded from a file may point into
// that file's memory map; the map (and the plugin library that described it)
// stays alive while any tensor from it lives.
class Tensor {
public:
  Tensor() = default;
  // A zero-filled, 64-byte-aligned tensor. Throws like shape_nbytes, and
  // std::bad_alloc.
  static Tensor zeros(DType dtype, Shape shape);
  // An aligned copy of a view's bytes.
  static Tensor copy_of(const TensorView &view);
  // Wraps bytes kept alive by `owner`; `data` must be aligned for dtype and
  // hold shape_nbytes(dtype, shape) bytes (checked: throws Error).
  // `mapped`: the bytes are a view into a file's memory map. `writable`: the
  // bytes are this tensor's to change (mutable_data() refuses otherwise).
  Tensor(DType dtype, Shape shape, const void *data, std::shared_ptr<const void> owner,
         bool mapped = false, bool writable = true);
  // The same for any view (plain or block-typed); checks the alignment the
  // type needs.
  Tensor(const TensorView &view, std::shared_ptr<const void> owner, bool mapped = false,
         bool writable = true);

  DType dtype() const noexcept { return view_.dtype(); }
  const BlockType *block_type() const noexcept { return view_.block_type(); }
  std::string_view type_name() const noexcept { return view_.type_name(); }
  const Shape &shape() const noexcept { return view_.shape(); }
  uint64_t nbytes() const noexcept { return view_.nbytes(); }
  uint64_t numel() const { return view_.numel(); }
  const void *data() const noexcept { return view_.data(); }
  template <class T> const T *data() const { return view_.data<T>(); }
  // Writable bytes, for tensors this process allocated (zeros, copy_of, or a
  // load that had to copy). Throws Error(InvalidArgument) for a view into
  // the loaded input (a read-only memory map, or bytes the caller lent).
  void *mutable_data();
  // True when the bytes are a view into a loaded file's memory map (no copy).
  bool is_mapped() const noexcept { return mapped_; }
  // How the bytes reached memory (see Placement): set by the load that made
  // the tensor; `mapped` or `copied` as the constructor's `mapped` says.
  Placement placement() const noexcept { return placement_; }
  // The storage the file says the bytes belong to, a number the format
  // chose (tensors of one file that share a storage, such as a PyTorch
  // checkpoint's tied weights and views, have the same), or 0 when the
  // format declares none. Added in 0.3.
  uint64_t storage() const noexcept { return storage_; }
  const TensorView &view() const noexcept { return view_; }
  operator const TensorView &() const noexcept { return view_; }

private:
  friend struct detail::TensorInternals; // the load records the placement
  TensorView view_;
  std::shared_ptr<const void> owner_;
  bool mapped_ = false;
  bool writable_ = true;
  Placement placement_ = Placement::none;
  uint64_t storage_ = 0;
};

// Uninitialised storage aligned to `alignment` (a power of two; at least
// alignof(max_align_t) is used), owned by a shared_ptr: what Tensor uses for
// copies. Throws std::bad_alloc, or Error(InvalidArgument) for an alignment
// that is not a power of two.
std::shared_ptr<void> allocate_aligned(uint64_t size, uint64_t alignment = 64);

} // namespace weightio
