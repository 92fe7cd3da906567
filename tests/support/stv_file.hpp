// Files of the "stv" test format (tests/plugins/stv_plugin.cpp), whose
// descriptors spell out ABI 3's storage fields: for tests of the host's
// storage checks and strided placement.
#pragma once

#include <weightio/plugin_abi.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace wtest {

struct Desc {
  std::string name;
  int32_t dtype = WIO_DTYPE_F32;
  std::vector<int64_t> shape, strides;
  uint32_t kind = WIO_STORAGE_STRIDED;
  uint32_t flags = 0;
  uint64_t offset = 0, element_offset = 0, id = 1, storage_offset = 0, storage_size = 0, nbytes = 0;
};

template <class T> inline void put(std::vector<uint8_t> &out, T v) {
  const auto *p = reinterpret_cast<const uint8_t *>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

// An stv file: the descriptors, then `data` at a 64-byte boundary; each
// descriptor's storage_offset and offset count from the data's start.
inline std::vector<uint8_t> stv(std::vector<Desc> descs, const std::vector<uint8_t> &data) {
  size_t header = 8;
  for (const auto &d : descs)
    header += 4 + d.name.size() + 8 + 16 * d.shape.size() + 8 + 6 * 8;
  const uint64_t base = (header + 63) / 64 * 64;
  std::vector<uint8_t> out = {'S', 'T', 'V', '1'};
  put<uint32_t>(out, static_cast<uint32_t>(descs.size()));
  for (auto &d : descs) {
    put<uint32_t>(out, static_cast<uint32_t>(d.name.size()));
    out.insert(out.end(), d.name.begin(), d.name.end());
    put<int32_t>(out, d.dtype);
    put<uint32_t>(out, static_cast<uint32_t>(d.shape.size()));
    for (auto e : d.shape)
      put<int64_t>(out, e);
    for (size_t k = 0; k < d.shape.size(); ++k)
      put<int64_t>(out, k < d.strides.size() ? d.strides[k] : 0);
    put<uint32_t>(out, d.kind);
    put<uint32_t>(out, d.flags);
    put<uint64_t>(out, d.offset + base);
    put<uint64_t>(out, d.element_offset);
    put<uint64_t>(out, d.id);
    put<uint64_t>(out, d.storage_offset + base);
    put<uint64_t>(out, d.storage_size);
    put<uint64_t>(out, d.nbytes);
  }
  out.resize(base, 0);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline std::vector<uint8_t> floats(size_t n, float first = 0) {
  std::vector<uint8_t> out(n * 4);
  for (size_t i = 0; i < n; ++i) {
    const float v = first + static_cast<float>(i);
    std::memcpy(out.data() + 4 * i, &v, 4);
  }
  return out;
}

} // namespace wtest
