// Little-endian field access for the ZIP and npy headers, independent of the
// host's byte order and of the alignment of the bytes.
#pragma once

#include <cstdint>
#include <string>

namespace weightio::npz {

template <class T> T load_le(const uint8_t *p) {
  T v = 0;
  for (unsigned i = 0; i < sizeof(T); ++i)
    v = static_cast<T>(v | (static_cast<T>(p[i]) << (8 * i)));
  return v;
}

template <class T> void put_le(std::string &out, T v) {
  for (unsigned i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF));
}

template <class T> void store_le(uint8_t *p, T v) {
  for (unsigned i = 0; i < sizeof(T); ++i)
    p[i] = static_cast<uint8_t>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
}

} // namespace weightio::npz
