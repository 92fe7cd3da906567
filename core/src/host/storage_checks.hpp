// ABI 3's storages, checked rather than trusted: the storage each tensor
// declares (one byte range per id, inside the input), a STRIDED tensor's
// geometry (every element it names inside its storage, in checked
// arithmetic), and the byte swap a big-endian source asks for.
#pragma once

#include "host/descriptor_checks.hpp"

#include <weightio/plugin_abi.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace weightio::detail {

// Where a STRIDED tensor's elements are: the storage's bytes in the input,
// and the element offset and strides over it.
struct StridedSource {
  uint64_t storage_offset = 0;
  uint64_t storage_size = 0;
  uint64_t element_offset = 0;
  std::vector<int64_t> strides; // one per dimension, in elements, >= 0
  uint32_t element_bytes = 0;
};

class StorageTable {
public:
  explicit StorageTable(const DescriptorChecks &checks) : checks_(checks) {}

  // The storage id `t` declares (0 for none, or an ABI-2 descriptor), after
  // checking that its range lies inside the input (`input_size` bytes),
  // agrees with every earlier declaration of the id, and holds a MAPPED
  // tensor's bytes. Throws PluginError (DescriptorChecks::fail) otherwise.
  uint64_t declared(const wio_tensor_out *t, const std::string &name, uint64_t input_size);

  // STRIDED: its geometry, checked against its declared storage and dtype.
  // Throws PluginError for an ABI-2 descriptor, a missing storage, a
  // sub-byte or block dtype, null or negative strides, or an element
  // outside the storage.
  StridedSource strided(const wio_tensor_out *t, const CheckedTensor &c) const;

  // The width each element's bytes are swapped in (the element size, half
  // of it for complex types), or 0 when `t` asks for no swap or its
  // elements are single bytes. Throws PluginError for a swap of a storage
  // kind or dtype it cannot apply to.
  uint32_t swap_width(const wio_tensor_out *t, const CheckedTensor &c) const;

private:
  const DescriptorChecks &checks_;
  std::unordered_map<uint64_t, std::pair<uint64_t, uint64_t>> ranges_; // id -> offset, size
};

// Whether `t` is an ABI-3 descriptor (it has the storage fields).
inline bool has_storage_fields(const wio_tensor_out *t) {
  return WIO_HAS_FIELD(t, wio_tensor_out, reserved4);
}

} // namespace weightio::detail
