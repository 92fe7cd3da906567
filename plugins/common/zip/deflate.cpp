#include "deflate.hpp"

#include "zip_error.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <limits>
#include <new>

namespace weightio::zip {
namespace {

// zlib counts in 32-bit uInt: feed it in steps no larger than this.
constexpr uint64_t kZlibStep = uint64_t{1} << 30;

} // namespace

Deflater::Deflater(int level) : c_(libdeflate_alloc_compressor(level)) {
  if (c_ == nullptr)
    throw std::bad_alloc();
}

Deflater::~Deflater() {
  libdeflate_free_compressor(c_);
}

std::span<const uint8_t> Deflater::compress(const void *data, size_t size) {
  const size_t bound = libdeflate_deflate_compress_bound(c_, size);
  if (out_.size() < bound)
    out_.resize(bound);
  const size_t n = libdeflate_deflate_compress(c_, data, size, out_.data(), out_.size());
  if (n == 0) // cannot happen with a buffer of compress_bound bytes
    sdk::fail(WIO_ERR_INTERNAL, "libdeflate could not compress a member");
  return {out_.data(), n};
}

std::string stored_deflate_blocks(std::string_view bytes) {
  std::string out;
  size_t off = 0;
  do {
    const size_t len = std::min<size_t>(bytes.size() - off, 0xFFFF);
    out.push_back('\0'); // BFINAL = 0, BTYPE = 00 (stored), pad to the byte
    sdk::append_le<uint16_t>(out, static_cast<uint16_t>(len));
    sdk::append_le<uint16_t>(out, static_cast<uint16_t>(~len));
    out.append(bytes.substr(off, len));
    off += len;
  } while (off < bytes.size());
  return out;
}

Inflater::Inflater(const uint8_t *in, uint64_t in_size)
    : zs_(new z_stream_s{}), in_(in), in_left_(in_size) {
  if (inflateInit2(zs_, -MAX_WBITS) != Z_OK) {
    delete zs_;
    throw std::bad_alloc();
  }
}

Inflater::~Inflater() {
  inflateEnd(zs_);
  delete zs_;
}

void Inflater::refill() {
  if (zs_->avail_in != 0 || in_left_ == 0)
    return;
  const uint64_t n = std::min(in_left_, kZlibStep);
  zs_->next_in = const_cast<Bytef *>(in_);
  zs_->avail_in = static_cast<uInt>(n);
  in_ += n;
  in_left_ -= n;
}

uint64_t Inflater::read(void *out, uint64_t size) {
  auto *dst = static_cast<uint8_t *>(out);
  uint64_t done = 0;
  while (done < size && !ended_) {
    refill();
    const uint64_t step = std::min(size - done, kZlibStep);
    zs_->next_out = dst + done;
    zs_->avail_out = static_cast<uInt>(step);
    const int r = inflate(zs_, Z_NO_FLUSH);
    done += step - zs_->avail_out;
    if (r == Z_STREAM_END) {
      ended_ = true;
    } else if (r == Z_BUF_ERROR && zs_->avail_in == 0 && in_left_ == 0) {
      refuse(ZipError::truncated_deflate, {},
             "the stream does not end within the member's compressed size");
    } else if (r == Z_MEM_ERROR) {
      throw std::bad_alloc();
    } else if (r != Z_OK && r != Z_BUF_ERROR) {
      refuse(ZipError::corrupt_deflate, {},
             zs_->msg ? std::string(zs_->msg) : "zlib error " + std::to_string(r));
    }
  }
  return done;
}

bool Inflater::at_end() {
  uint8_t extra;
  return read(&extra, 1) == 0;
}

} // namespace weightio::zip
