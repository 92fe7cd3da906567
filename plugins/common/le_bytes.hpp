// Little-endian field access and encoding, independent of the host's byte
// order and of the alignment of the bytes: the ZIP and npy headers, and the
// little-endian reads of common/byte_cursor.hpp. Shared by the bundled
// plugins; not installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::common {

template <class T> T load_le(const uint8_t *p) {
  T v = 0;
  for (unsigned i = 0; i < sizeof(T); ++i)
    v = static_cast<T>(v | (static_cast<T>(p[i]) << (8 * i)));
  return v;
}

// One append per field, not one push_back per byte: headers are built for
// every member, and many-small saves have tens of thousands.
template <class T> void put_le(std::string &out, T v) {
  char bytes[sizeof(T)];
  for (unsigned i = 0; i < sizeof(T); ++i)
    bytes[i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
  out.append(bytes, sizeof(T));
}

template <class T> void store_le(uint8_t *p, T v) {
  for (unsigned i = 0; i < sizeof(T); ++i)
    p[i] = static_cast<uint8_t>((static_cast<uint64_t>(v) >> (8 * i)) & 0xFF);
}

// A record of at most N bytes built field by field on the stack, then
// appended to a string at once: std::string's appends are not inlined
// (libstdc++ instantiates them out of line), and every member has records.
template <size_t N> class LeRecord {
public:
  template <class T> void put(T v) {
    store_le<T>(bytes_ + size_, v);
    size_ += sizeof(T);
  }
  void zeros(size_t n) {
    for (size_t i = 0; i < n; ++i)
      bytes_[size_++] = 0;
  }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char *>(bytes_), size_}; }

private:
  uint8_t bytes_[N];
  size_t size_ = 0;
};

} // namespace weightio::common
