// What a reader emits (wio_tensor_out), checked against the plugin ABI, the
// load's limits and what its format declared rather than trusted. Each
// check is written once here, for full loads, describe_only loads and
// deferred decodes alike. A reader breaking the ABI gets a PluginError
// naming the plugin; a file over a limit or with a malformed shape, a
// FormatError.
#pragma once

#include "host/alloc_budget.hpp"
#include "registry/registry_internal.hpp"

#include <weightio/plugin_abi.h>
#include <weightio/tensor.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace weightio::detail {

// A descriptor's name, type and shape, checked (its nbytes matches them).
struct CheckedTensor {
  std::string name;
  DType dtype = DType::F32;
  const BlockType *block = nullptr; // one the format declared, for DType::Block
  Shape shape;

  TensorView view(const void *data) const {
    return block ? TensorView(block, shape, data) : TensorView(dtype, shape, data);
  }
};

class DescriptorChecks {
public:
  // `file` names the input in messages. `request` is the one the reader
  // got (its input, limits and flags), read at each check.
  DescriptorChecks(std::string file, const ResolvedFormat &fmt, const wio_read_request &request)
      : file_(std::move(file)), fmt_(fmt), request_(request) {}

  // Throws PluginError: the reader did `what` (e.g. "emitted metadata with
  // a null string"), which the ABI forbids. `tensor` names the tensor.
  [[noreturn]] void fail(const std::string &what, const std::string &tensor = {}) const;

  // The descriptor's size, name, type, shape and byte count, and the
  // limits on them; `kept` tensors are loaded so far (max_tensors).
  CheckedTensor described(const wio_tensor_out *t, size_t kept) const;

  // Its storage kind is one this descriptor may name: DECODE and CHECKED
  // only in an ABI-2 descriptor, to this host (which defers); STRIDED only
  // in an ABI-3 one.
  void storage_known(const wio_tensor_out *t, const std::string &name) const;

  // MAPPED and CHECKED: its nbytes at `offset` lie in the input.
  void inside_input(const wio_tensor_out *t, const std::string &name) const;

  // CHECKED: the format can check, in units that divide the tensor.
  void checkable(const wio_tensor_out *t, const std::string &name) const;

  // DECODE: the format can decode, its source lies in the input, and its
  // units divide the tensor.
  void decodable(const wio_tensor_out *t, const std::string &name) const;

  // BUFFER, or a DECODE tensor's reservation: a block from `budget` of at
  // least `at_least` bytes, taken back from it.
  std::shared_ptr<void> taken_buffer(const wio_tensor_out *t, const std::string &name,
                                     AllocBudget &budget, uint64_t at_least) const;

  // DECODE: the block the reader reserved for the output (taken back as
  // taken_buffer does), or null when it reserved none.
  std::shared_ptr<void> reserved_buffer(const wio_tensor_out *t, const std::string &name,
                                        AllocBudget &budget) const;

private:
  const BlockType *declared_block(const wio_tensor_out *t, const std::string &name) const;
  void has_decode(const std::string &name, const char *purpose) const;
  void inside(const wio_tensor_out *t, const std::string &name, uint64_t size,
              const char *problem) const;
  bool deferring() const { return (request_.flags & WIO_READ_DEFER) != 0; }

  std::string file_;
  const ResolvedFormat &fmt_;
  const wio_read_request &request_;
};

} // namespace weightio::detail
