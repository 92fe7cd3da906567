#include "host/descriptor_checks.hpp"

#include "support/limit_text.hpp"

#include <weightio/error.hpp>
#include <weightio/quoted.hpp>

#include <cstddef>

namespace weightio::detail {

void DescriptorChecks::fail(const std::string &what, const std::string &tensor) const {
  throw PluginError(ErrorCode::Plugin,
                    "cannot load '" + file_ + "': the " + fmt_.format->info.name + " plugin " +
                        what + " " + fmt_.plugin->label(),
                    file_, tensor);
}

CheckedTensor DescriptorChecks::described(const wio_tensor_out *t, size_t kept) const {
  const wio_read_limits &limits = *request_.limits;
  if (t == nullptr || t->struct_size < offsetof(wio_tensor_out, nbytes) + sizeof(uint64_t))
    fail("emitted a tensor descriptor that is too small");
  if (t->name.data == nullptr && t->name.size != 0)
    fail("emitted a tensor with a null name");
  // Checked before the copy: the size is the plugin's word, not the host's.
  if (limits.max_name_bytes && t->name.size > limits.max_name_bytes)
    throw FormatError(
        ErrorCode::InvalidFile,
        "cannot load '" + file_ + "': a tensor's " +
            over_limit_text("name length", t->name.size, limits.max_name_bytes, "max_name_bytes"),
        file_, {}, "max_name_bytes");
  CheckedTensor c;
  c.name.assign(t->name.data ? t->name.data : "", t->name.size);
  const std::string &name = c.name;
  if (t->dtype == WIO_DTYPE_BLOCK)
    c.block = declared_block(t, name);
  else if (!dtype_valid(t->dtype))
    fail("returned tensor " + sdk::quoted(name) + " with an invalid dtype value " +
             std::to_string(t->dtype),
         name);
  c.dtype = static_cast<DType>(t->dtype);
  if (t->ndim > 0 && t->shape == nullptr)
    fail("returned tensor " + sdk::quoted(name) + " with a null shape", name);
  if (limits.max_ndim && t->ndim > limits.max_ndim)
    throw FormatError(ErrorCode::InvalidFile,
                      "cannot load '" + file_ + "': tensor " + sdk::quoted(name) + " has " +
                          std::to_string(t->ndim) + " dimensions: " +
                          over_limit_text("dimension count", t->ndim, limits.max_ndim, "max_ndim"),
                      file_, name, "max_ndim");
  if (limits.max_tensors && kept >= limits.max_tensors)
    throw FormatError(
        ErrorCode::InvalidFile,
        "cannot load '" + file_ +
            "': " + over_limit_text("tensor count", kept + 1, limits.max_tensors, "max_tensors"),
        file_, {}, "max_tensors");
  c.shape.assign(t->shape, t->shape + t->ndim);
  uint64_t nbytes = 0;
  try {
    nbytes = c.block ? shape_nbytes(*c.block, c.shape) : shape_nbytes(c.dtype, c.shape);
  } catch (const Error &e) {
    throw FormatError(ErrorCode::InvalidFile,
                      "cannot load '" + file_ + "': tensor " + sdk::quoted(name) + ": " + e.what(),
                      file_, name);
  }
  if (nbytes != t->nbytes)
    fail("returned tensor " + sdk::quoted(name) + " whose shape does not match its " +
             std::to_string(t->nbytes) + " bytes",
         name);
  return c;
}

// The block type a tensor names: one its format declared.
const BlockType *DescriptorChecks::declared_block(const wio_tensor_out *t,
                                                  const std::string &name) const {
  if (!WIO_HAS_FIELD(t, wio_tensor_out, block_type))
    fail("returned tensor " + sdk::quoted(name) + " of a block type in an ABI-1 descriptor", name);
  const std::string_view bt(t->block_type.data ? t->block_type.data : "", t->block_type.size);
  for (const BlockType *b : fmt_.format->info.block_types)
    if (b->name == bt)
      return b;
  fail("returned tensor " + sdk::quoted(name) + " of block type " + sdk::quoted(bt) +
           ", which it did not declare",
       name);
}

void DescriptorChecks::storage_known(const wio_tensor_out *t, const std::string &name) const {
  switch (t->storage) {
  case WIO_STORAGE_MAPPED:
  case WIO_STORAGE_BUFFER:
  case WIO_STORAGE_NONE:
    return;
  case WIO_STORAGE_DECODE:
    if (WIO_HAS_FIELD(t, wio_tensor_out, source_unit_bytes))
      return;
    break;
  case WIO_STORAGE_CHECKED:
    if (WIO_HAS_FIELD(t, wio_tensor_out, source_unit_bytes) && deferring())
      return;
    break;
  case WIO_STORAGE_STRIDED:
    if (WIO_HAS_FIELD(t, wio_tensor_out, reserved4))
      return;
    break;
  default:
    break;
  }
  fail("returned tensor " + sdk::quoted(name) + " with an unknown storage kind", name);
}

void DescriptorChecks::inside(const wio_tensor_out *t, const std::string &name, uint64_t size,
                              const char *problem) const {
  if (t->offset > request_.size || size > request_.size - t->offset)
    fail("returned tensor " + sdk::quoted(name) + " " + problem, name);
}

void DescriptorChecks::inside_input(const wio_tensor_out *t, const std::string &name) const {
  inside(t, name, t->nbytes, "pointing outside the file");
}

void DescriptorChecks::has_decode(const std::string &name, const char *purpose) const {
  if (!fmt_.format->info.decodes)
    fail("returned tensor " + sdk::quoted(name) + " to " + purpose + " but has no decode function",
         name);
}

void DescriptorChecks::checkable(const wio_tensor_out *t, const std::string &name) const {
  has_decode(name, "check");
  if (WIO_HAS_FIELD(t, wio_tensor_out, split_check) && t->split_check != 0 &&
      (t->unit_bytes == 0 || t->unit_bytes != t->source_unit_bytes ||
       t->nbytes % t->unit_bytes != 0))
    fail("returned tensor " + sdk::quoted(name) + " whose check units do not divide it", name);
}

void DescriptorChecks::decodable(const wio_tensor_out *t, const std::string &name) const {
  has_decode(name, "decode");
  inside(t, name, t->source_size, "to decode from outside the file");
  if (t->unit_bytes != 0 && (t->nbytes % t->unit_bytes != 0 || t->source_unit_bytes == 0 ||
                             t->source_size / t->source_unit_bytes < t->nbytes / t->unit_bytes))
    fail("returned tensor " + sdk::quoted(name) + " whose decode units do not divide it", name);
}

std::shared_ptr<void> DescriptorChecks::taken_buffer(const wio_tensor_out *t,
                                                     const std::string &name, AllocBudget &budget,
                                                     uint64_t at_least) const {
  std::shared_ptr<void> owner;
  switch (budget.take(t->buffer, at_least, owner)) {
  case AllocBudget::Taken::Yes:
    break;
  case AllocBudget::Taken::NotAllocated:
    fail("returned tensor " + sdk::quoted(name) + " in a buffer the host did not allocate", name);
  case AllocBudget::Taken::TooSmall:
    fail("returned tensor " + sdk::quoted(name) + " larger than its buffer", name);
  }
  return owner;
}

std::shared_ptr<void> DescriptorChecks::reserved_buffer(const wio_tensor_out *t,
                                                        const std::string &name,
                                                        AllocBudget &budget) const {
  // Under the host's limit while the reader could still name the tensor.
  if (t->buffer == nullptr || !deferring())
    return nullptr;
  return taken_buffer(t, name, budget, t->nbytes);
}

} // namespace weightio::detail
