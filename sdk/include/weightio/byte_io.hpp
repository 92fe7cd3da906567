// Byte helpers for plugin authors (C++17 or later): a bounds-checked reader
// over the mapped input, whose reads fail cleanly past the end; a writer
// that gathers small fields before they go to the host's sink; and loads,
// stores and appends of single little-endian fields, for records built in
// memory. All of it is independent of the host's byte order and of the
// alignment of the bytes.
#ifndef WEIGHTIO_BYTE_IO_HPP
#define WEIGHTIO_BYTE_IO_HPP

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace weightio::sdk {

enum class ByteOrder : uint8_t { little, big };

namespace detail {

constexpr bool big_endian_host() {
#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__)
  return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
#else
  return false;
#endif
}

template <class T> T byte_swapped(T v) {
  uint8_t b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  for (size_t i = 0; i < sizeof(T) / 2; ++i)
    std::swap(b[i], b[sizeof(T) - 1 - i]);
  std::memcpy(&v, b, sizeof(T));
  return v;
}

// `v` as stored in (or loaded from) `order`: swapped when that is not the
// host's order.
template <class T> T in_order(T v, ByteOrder order) {
  static_assert(std::is_arithmetic_v<T>, "integers and floats only");
  if constexpr (sizeof(T) > 1)
    if ((order == ByteOrder::big) != big_endian_host())
      return byte_swapped(v);
  return v;
}

} // namespace detail

// The T stored at p in `order` (no bounds check: use ByteReader for input).
template <class T> T load(const void *p, ByteOrder order) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return detail::in_order(v, order);
}
template <class T> T load_le(const void *p) {
  return load<T>(p, ByteOrder::little);
}

// Stores v little-endian at p.
template <class T> void store_le(void *p, T v) {
  v = detail::in_order(v, ByteOrder::little);
  std::memcpy(p, &v, sizeof(T));
}

// Appends v little-endian to out: one append per field, not one per byte.
template <class T> void append_le(std::string &out, T v) {
  char b[sizeof(T)];
  store_le<T>(b, v);
  out.append(b, sizeof(T));
}

// Reads fixed-width fields from [data, data + size), little-endian unless
// told otherwise (GGUF, for one, has big-endian files). Every read names the
// field it reads: past the end it throws Failure(WIO_ERR_INVALID_FILE)
// "truncated: <field> at offset N needs K bytes, M are left", so a malformed
// file gets a message naming what was cut. Holds no memory of its own.
class ByteReader {
public:
  ByteReader(const uint8_t *data, uint64_t size, uint64_t offset = 0,
             ByteOrder order = ByteOrder::little)
      : data_(data), size_(size), pos_(offset), order_(order) {}

  uint64_t offset() const { return pos_; }
  uint64_t size() const { return size_; }
  const uint8_t *data() const { return data_; }
  ByteOrder order() const { return order_; }
  void set_order(ByteOrder order) { order_ = order; }
  uint64_t remaining() const { return pos_ <= size_ ? size_ - pos_ : 0; }
  // Throws unless `n` more bytes are there.
  void need(uint64_t n, std::string_view field) const {
    if (n > remaining())
      invalid_file("truncated: " + std::string(field) + " at offset " + std::to_string(pos_) +
                   " needs " + std::to_string(n) + " bytes, " + std::to_string(remaining()) +
                   " are left");
  }
  void seek(uint64_t offset, std::string_view field) {
    if (offset > size_)
      invalid_file(std::string(field) + " offset " + std::to_string(offset) + " is past the end (" +
                   std::to_string(size_) + " bytes)");
    pos_ = offset;
  }
  void skip(uint64_t n, std::string_view field) {
    need(n, field);
    pos_ += n;
  }
  // An unsigned or signed integer, or float/double, in the reader's order.
  template <class T> T get(std::string_view field) {
    static_assert(std::is_arithmetic_v<T>, "integers and floats only");
    need(sizeof(T), field);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return detail::in_order(v, order_);
  }
  uint8_t u8(std::string_view f) { return get<uint8_t>(f); }
  uint16_t u16(std::string_view f) { return get<uint16_t>(f); }
  uint32_t u32(std::string_view f) { return get<uint32_t>(f); }
  uint64_t u64(std::string_view f) { return get<uint64_t>(f); }
  int32_t i32(std::string_view f) { return get<int32_t>(f); }
  int64_t i64(std::string_view f) { return get<int64_t>(f); }
  // `n` raw bytes, borrowed from the input.
  std::string_view bytes(uint64_t n, std::string_view field) {
    need(n, field);
    std::string_view s(reinterpret_cast<const char *>(data_ + pos_), static_cast<size_t>(n));
    pos_ += n;
    return s;
  }

private:
  const uint8_t *data_;
  uint64_t size_;
  uint64_t pos_;
  ByteOrder order_;
};

// Appends little-endian fields to a buffer and hands it to the sink in
// large writes; tensor data goes to the sink directly (data()), so it is
// never copied here. Call flush() before patching or finishing.
class ByteWriter {
public:
  explicit ByteWriter(const Sink &sink) : sink_(sink) {}
  template <class T> void put(T v) {
    static_assert(std::is_arithmetic_v<T>, "integers and floats only");
    uint8_t b[sizeof(T)];
    store_le<T>(b, v);
    raw(b, sizeof(T));
  }
  void raw(const void *p, size_t n) {
    const auto *c = static_cast<const uint8_t *>(p);
    buf_.insert(buf_.end(), c, c + n);
    if (buf_.size() >= kFlushAt)
      flush();
  }
  void str(std::string_view s) { raw(s.data(), s.size()); }
  void zeros(size_t n) { buf_.insert(buf_.end(), n, 0); }
  // Large bytes (tensor data): the buffer goes first, then these, unbuffered.
  void data(const void *p, size_t n) {
    flush();
    if (n != 0)
      sink_.write(p, n);
  }
  // The offset the next byte will have in the output.
  uint64_t position() const { return sink_.position() + buf_.size(); }
  void flush() {
    if (!buf_.empty())
      sink_.write(buf_.data(), buf_.size());
    buf_.clear();
  }

private:
  static constexpr size_t kFlushAt = 1 << 20;
  const Sink &sink_;
  std::vector<uint8_t> buf_;
};

} // namespace weightio::sdk

#endif
