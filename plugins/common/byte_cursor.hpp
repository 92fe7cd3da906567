// A bounds-checked reader of fixed-width numbers and byte strings over a
// file's bytes (usually a read-only mapping). Every read checks the bytes
// are there before touching them and throws CursorError naming the field,
// how many bytes it needed, where, and how big the input is, so a parser
// built on it fails cleanly on truncated or hostile input. Little-endian by
// default; a cursor can be switched to big-endian (GGUF files written by
// gguf-py with endianess=BIG). Independent of the host's byte order and of
// the alignment of the bytes. Not installed: the bundled plugins share it.
#pragma once

#include "le_bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace weightio::common {

enum class ByteOrder : uint8_t { little, big };

// Thrown when a read would run past the end of the input.
class CursorError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Loads an unsigned integer of sizeof(T) bytes at p in the given order.
template <class T> T load_uint(const uint8_t *p, ByteOrder order) noexcept {
  static_assert(std::is_unsigned_v<T>);
  T v = 0;
  if (order == ByteOrder::little) {
    v = load_le<T>(p);
  } else {
    for (unsigned i = 0; i < sizeof(T); ++i)
      v = static_cast<T>((v << 8) | p[i]);
  }
  return v;
}

class ByteCursor {
public:
  // `bytes` must outlive the cursor; the cursor never copies them.
  explicit ByteCursor(std::span<const uint8_t> bytes, ByteOrder order = ByteOrder::little) noexcept
      : bytes_(bytes), order_(order) {}

  uint64_t offset() const noexcept { return pos_; }
  uint64_t size() const noexcept { return bytes_.size(); }
  uint64_t remaining() const noexcept { return bytes_.size() - pos_; }
  ByteOrder order() const noexcept { return order_; }
  void set_order(ByteOrder order) noexcept { order_ = order; }

  // Throws CursorError unless `n` more bytes are there; `what` names the
  // field in the message.
  void require(uint64_t n, std::string_view what) const {
    if (n > remaining())
      throw CursorError(std::string(what) + ": needs " + std::to_string(n) + " bytes at offset " +
                        std::to_string(pos_) + ", the input has " + std::to_string(bytes_.size()));
  }

  uint8_t u8(std::string_view what) { return read<uint8_t>(what); }
  uint16_t u16(std::string_view what) { return read<uint16_t>(what); }
  uint32_t u32(std::string_view what) { return read<uint32_t>(what); }
  uint64_t u64(std::string_view what) { return read<uint64_t>(what); }

  // `n` bytes as a view into the input (valid as long as the input).
  std::span<const uint8_t> bytes(uint64_t n, std::string_view what) {
    require(n, what);
    std::span<const uint8_t> out =
        bytes_.subspan(static_cast<size_t>(pos_), static_cast<size_t>(n));
    pos_ += n;
    return out;
  }
  std::string_view chars(uint64_t n, std::string_view what) {
    const auto b = bytes(n, what);
    return {reinterpret_cast<const char *>(b.data()), b.size()};
  }
  void skip(uint64_t n, std::string_view what) {
    require(n, what);
    pos_ += n;
  }

private:
  template <class T> T read(std::string_view what) {
    require(sizeof(T), what);
    const T v = load_uint<T>(bytes_.data() + pos_, order_);
    pos_ += sizeof(T);
    return v;
  }

  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
  ByteOrder order_;
};

} // namespace weightio::common
