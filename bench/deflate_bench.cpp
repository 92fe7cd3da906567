// Measures what deflate.hpp chose between: libdeflate (whole buffer) and
// zlib streaming deflate (1 MiB steps, CRC interleaved), plus both CRC-32s,
// on 64 MiB of normally distributed float32 weights. Built with
// -DWEIGHTIO_BUILD_BENCH=ON; run ./npz_deflate_bench.
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

} // namespace

int main() {
  const size_t n = size_t{16} << 20;
  std::vector<float> weights(n);
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.f, 0.02f);
  for (auto &x : weights)
    x = normal(rng);
  const auto *in = reinterpret_cast<const uint8_t *>(weights.data());
  const size_t size = n * sizeof(float);

  for (int level : {1, 6, 9}) {
    auto t0 = Clock::now();
    libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    std::vector<uint8_t> out(libdeflate_deflate_compress_bound(c, size));
    uint32_t crc = libdeflate_crc32(0, in, size);
    size_t out_size = libdeflate_deflate_compress(c, in, size, out.data(), out.size());
    double s = seconds_since(t0);
    libdeflate_free_compressor(c);
    std::printf("level %d  libdeflate: %6.1f MB/s ratio %.3f (crc %08x)\n", level,
                static_cast<double>(size) / 1e6 / s, static_cast<double>(out_size) / size, crc);

    t0 = Clock::now();
    z_stream zs{};
    deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::vector<uint8_t> buf(256 << 10);
    size_t total = 0;
    crc = 0;
    const size_t step = size_t{1} << 20;
    for (size_t off = 0; off < size; off += step) {
      const size_t len = std::min(step, size - off);
      crc = libdeflate_crc32(crc, in + off, len);
      zs.next_in = const_cast<Bytef *>(in + off);
      zs.avail_in = static_cast<uInt>(len);
      const int flush = off + len == size ? Z_FINISH : Z_NO_FLUSH;
      int r;
      do {
        zs.next_out = buf.data();
        zs.avail_out = static_cast<uInt>(buf.size());
        r = deflate(&zs, flush);
        total += buf.size() - zs.avail_out;
      } while (zs.avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
    }
    deflateEnd(&zs);
    s = seconds_since(t0);
    std::printf("level %d  zlib stream: %6.1f MB/s ratio %.3f (crc %08x)\n", level,
                static_cast<double>(size) / 1e6 / s, static_cast<double>(total) / size, crc);
  }
  auto t0 = Clock::now();
  uint32_t c1 = 0;
  for (int i = 0; i < 10; ++i)
    c1 = libdeflate_crc32(c1, in, size);
  std::printf("crc32 libdeflate: %.1f GB/s\n", 10.0 * size / 1e9 / seconds_since(t0));
  t0 = Clock::now();
  uLong c2 = 0;
  for (int i = 0; i < 10; ++i)
    c2 = crc32(c2, in, static_cast<uInt>(size));
  std::printf("crc32 zlib:       %.1f GB/s (%s)\n", 10.0 * size / 1e9 / seconds_since(t0),
              c1 == c2 ? "same value" : "DIFFERENT");
}
