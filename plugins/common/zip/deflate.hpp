// Raw deflate (RFC 1951) for ZIP members: libdeflate to compress (whole
// buffers, about 2.5x zlib's speed at the same level here), zlib to inflate
// (streaming, so a member's header and its data can land in different
// buffers and inflation stops at the size the archive declared).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct libdeflate_compressor;
struct z_stream_s;

namespace weightio::zip {

class Deflater {
public:
  // level: 1..9 (libdeflate's levels, numbered as zlib's).
  explicit Deflater(int level);
  ~Deflater();
  Deflater(const Deflater &) = delete;
  Deflater &operator=(const Deflater &) = delete;

  // Deflates `data` into a buffer owned by this object (valid until the
  // next call). The buffer grows to the largest member, never more.
  std::span<const uint8_t> compress(const void *data, size_t size);

private:
  libdeflate_compressor *c_;
  std::vector<uint8_t> out_;
};

// `bytes` as non-final stored deflate blocks. A stored block ends on a byte
// boundary, so a separately compressed stream may follow it directly: that
// lets the npy header lead a member without copying the tensor behind it.
std::string stored_deflate_blocks(std::string_view bytes);

// Inflates one raw deflate stream from a bounded input.
class Inflater {
public:
  Inflater(const uint8_t *in, uint64_t in_size);
  ~Inflater();
  Inflater(const Inflater &) = delete;
  Inflater &operator=(const Inflater &) = delete;

  // Inflates up to `size` bytes into `out`; fewer only when the stream ends.
  // Throws sdk::Failure(WIO_ERR_INVALID_FILE) on corrupt or truncated data.
  uint64_t read(void *out, uint64_t size);
  // True when the stream ends here without producing another byte.
  bool at_end();

private:
  void refill();
  z_stream_s *zs_;
  const uint8_t *in_;
  uint64_t in_left_;
  bool ended_ = false;
};

} // namespace weightio::zip
