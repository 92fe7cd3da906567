#include "cp437.hpp"
#include "crc32.hpp"
#include "deflate.hpp"
#include "npy_header.hpp"
#include "npz.hpp"
#include "zip_writer.hpp"

#include <weightio/plugin_sdk.hpp>

#include <optional>
#include <string>
#include <vector>

namespace weightio::npz {
namespace {

// numpy.savez_compressed uses zlib's default level.
constexpr int kDefaultLevel = 6;

std::string dtype_label(int32_t dtype) {
  return sdk::dtype_valid(dtype) ? std::string(sdk::dtype_info(dtype).name)
                                 : "#" + std::to_string(dtype);
}

// Everything that could make the write fail on the caller's input is checked
// before the first byte goes out, so a refused save writes nothing.
void validate(const wio_write_request &r) {
  if (r.metadata_count != 0)
    sdk::fail(WIO_ERR_UNSUPPORTED_OPTION, "npz files cannot hold metadata");
  if (r.compression_level < -1 || r.compression_level > 9)
    sdk::fail(WIO_ERR_UNSUPPORTED_OPTION,
              "npz compression level must be 0 (stored), 1..9 or -1 (default), not " +
                  std::to_string(r.compression_level));
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const wio_tensor_in &t = r.tensors[i];
    const std::string_view name = sdk::view(t.name);
    if (!npy_descr(t.dtype))
      sdk::fail(WIO_ERR_UNSUPPORTED_DTYPE,
                "tensor " + sdk::quoted(name) + ": npz cannot hold dtype " + dtype_label(t.dtype));
    // Python's zipfile cuts names at a NUL and decodes flagged names as
    // strict UTF-8: such names would not come back as written.
    if (name.find('\0') != std::string_view::npos || !valid_utf8(name))
      sdk::fail(WIO_ERR_UNSUPPORTED_OPTION,
                "tensor " + sdk::quoted(name) +
                    ": npz member names must be UTF-8 without NUL characters");
    if (name.size() + 4 > 0xFFFF)
      sdk::fail(WIO_ERR_UNSUPPORTED_OPTION, "tensor name of " + std::to_string(name.size()) +
                                                " bytes is too long for a zip member name");
    const auto nbytes = sdk::checked_nbytes(t.dtype, t.shape, t.ndim);
    if (!nbytes || *nbytes != t.nbytes || (t.nbytes != 0 && t.data == nullptr))
      sdk::fail(WIO_ERR_INTERNAL,
                "tensor " + sdk::quoted(name) + ": byte size does not match its shape and dtype");
  }
}

} // namespace

void write_npz(const wio_write_request &r) {
  validate(r);
  const sdk::Sink sink(r.sink);
  const int level = r.compression_level == -1 ? kDefaultLevel : r.compression_level;
  std::optional<Deflater> deflater;
  if (level != 0)
    deflater.emplace(level);

  uint64_t total = 0;
  for (size_t i = 0; i < r.tensor_count; ++i)
    total += r.tensors[i].nbytes;

  ZipWriter zip(sink, (r.flags & WIO_WRITE_FORCE_ZIP64) != 0);
  uint64_t done = 0;
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const wio_tensor_in &t = r.tensors[i];
    const std::string member = std::string(sdk::view(t.name)) + ".npy";
    const std::string header = format_npy_header(*npy_descr(t.dtype), t.shape, t.ndim);
    if (!deflater) {
      const wio_iovec pieces[] = {{header.data(), header.size()},
                                  {t.data, static_cast<size_t>(t.nbytes)}};
      zip.add_stored(member, pieces);
    } else {
      // The header leads as a stored block so that libdeflate compresses the
      // tensor where it lies, without a copy with the header in front. The
      // CRC pass reads the tensor once more, at ~11 GB/s against deflate's
      // ~0.1 GB/s: libdeflate takes whole buffers, so it cannot be fused.
      static const uint8_t kEmpty = 0;
      const void *data = t.nbytes != 0 ? t.data : &kEmpty;
      Crc32 crc;
      crc.update(header.data(), header.size());
      crc.update(data, static_cast<size_t>(t.nbytes));
      const std::string lead = stored_deflate_blocks(header);
      const auto body = deflater->compress(data, static_cast<size_t>(t.nbytes));
      const wio_iovec pieces[] = {{lead.data(), lead.size()}, {body.data(), body.size()}};
      zip.add_deflated(member, pieces, crc.value(), header.size() + t.nbytes);
    }
    done += t.nbytes;
    sink.progress(done, total);
  }
  zip.finish();
}

} // namespace weightio::npz
