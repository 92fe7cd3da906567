#include "host/storage_checks.hpp"

#include <weightio/dtype_info.hpp>
#include <weightio/quoted.hpp>

namespace weightio::detail {

uint64_t StorageTable::declared(const wio_tensor_out *t, const std::string &name,
                                uint64_t input_size) {
  if (!has_storage_fields(t) || t->storage_id == 0)
    return 0;
  const uint64_t off = t->storage_offset, size = t->storage_size;
  if (off > input_size || size > input_size - off)
    checks_.fail("declared the storage of tensor " + sdk::quoted(name) + " outside the file", name);
  const auto [it, added] = ranges_.try_emplace(t->storage_id, off, size);
  if (!added && it->second != std::make_pair(off, size))
    checks_.fail("declared storage " + std::to_string(t->storage_id) + " of tensor " +
                     sdk::quoted(name) + " with another byte range than before",
                 name);
  if (t->storage == WIO_STORAGE_MAPPED &&
      (t->offset < off || t->offset - off > size || t->nbytes > size - (t->offset - off)))
    checks_.fail("returned tensor " + sdk::quoted(name) + " outside its declared storage", name);
  return t->storage_id;
}

StridedSource StorageTable::strided(const wio_tensor_out *t, const CheckedTensor &c) const {
  const std::string &name = c.name;
  if (!has_storage_fields(t) || t->storage_id == 0)
    checks_.fail("returned strided tensor " + sdk::quoted(name) + " without a storage", name);
  const uint32_t bits = c.block ? 0 : sdk::dtype_info(static_cast<int32_t>(c.dtype)).bits;
  const uint32_t es = bits / 8;
  if (es == 0 || bits % 8 != 0)
    checks_.fail("returned strided tensor " + sdk::quoted(name) +
                     " of a type without whole-byte elements",
                 name);
  if (t->ndim > 0 && t->strides == nullptr)
    checks_.fail("returned strided tensor " + sdk::quoted(name) + " with null strides", name);
  StridedSource s;
  s.storage_offset = t->storage_offset;
  s.storage_size = t->storage_size;
  s.element_offset = t->element_offset;
  s.element_bytes = es;
  s.strides.assign(t->strides, t->strides + t->ndim);
  // The last element's index, element_offset + sum((size - 1) * stride),
  // must name an element of the storage; an empty tensor names none.
  const uint64_t elements = s.storage_size / es;
  bool empty = false;
  for (int64_t d : c.shape)
    empty = empty || d == 0;
  uint64_t last = s.element_offset;
  bool overflow = false;
  for (size_t k = 0; k < s.strides.size(); ++k) {
    if (s.strides[k] < 0)
      checks_.fail("returned strided tensor " + sdk::quoted(name) + " with a negative stride",
                   name);
    if (empty)
      continue;
    uint64_t step = 0;
    overflow = overflow ||
               __builtin_mul_overflow(static_cast<uint64_t>(c.shape[k] - 1),
                                      static_cast<uint64_t>(s.strides[k]), &step) ||
               __builtin_add_overflow(last, step, &last);
  }
  if (overflow || (empty ? s.element_offset > elements : last >= elements))
    checks_.fail("returned strided tensor " + sdk::quoted(name) +
                     " whose elements lie past its storage's " + std::to_string(elements),
                 name);
  return s;
}

uint32_t StorageTable::swap_width(const wio_tensor_out *t, const CheckedTensor &c) const {
  if (!has_storage_fields(t) || (t->tensor_flags & WIO_TENSOR_BYTE_SWAP) == 0)
    return 0;
  if (t->storage != WIO_STORAGE_MAPPED && t->storage != WIO_STORAGE_STRIDED &&
      t->storage != WIO_STORAGE_NONE)
    checks_.fail("asked to byte-swap tensor " + sdk::quoted(c.name) +
                     ", which is neither mapped nor strided",
                 c.name);
  const uint32_t bits = c.block ? 0 : sdk::dtype_info(static_cast<int32_t>(c.dtype)).bits;
  if (bits == 0 || bits % 8 != 0)
    checks_.fail("asked to byte-swap tensor " + sdk::quoted(c.name) +
                     " of a type without whole-byte elements",
                 c.name);
  // A complex element is two numbers, each swapped on its own.
  const auto width = static_cast<uint32_t>(sdk::dtype_alignment(static_cast<int32_t>(c.dtype)));
  return width > 1 ? width : 0;
}

} // namespace weightio::detail
