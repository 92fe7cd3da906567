#include "../common/count_text.hpp"
#include "npy_header.hpp"
#include "npz.hpp"
#include "zip/cp437.hpp"
#include "zip/deflate_pipeline.hpp"
#include "zip/zip_writer.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace weightio::npz {
using common::count_of;
namespace {

// numpy.savez_compressed uses zlib's default level.
constexpr int kDefaultLevel = 6;

// Progress is reported about this often in a stored save.
constexpr uint64_t kProgressStep = uint64_t{1} << 20;

std::string dtype_label(int32_t dtype) {
  return sdk::dtype_valid(dtype) ? std::string(sdk::dtype_info(dtype).name)
                                 : "#" + std::to_string(dtype);
}

// Everything that could make the write fail on the caller's input is checked
// before the first byte goes out, so a refused save writes nothing.
void validate(const wio_write_request &r) {
  if (!sdk::metadata(r).empty())
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
    if (name.find('\0') != std::string_view::npos || !sdk::is_utf8(name))
      sdk::fail(WIO_ERR_UNSUPPORTED_OPTION,
                "tensor " + sdk::quoted(name) +
                    ": npz member names must be UTF-8 without NUL characters");
    if (name.size() + 4 > 0xFFFF)
      sdk::fail(WIO_ERR_UNSUPPORTED_OPTION, "tensor name of " + count_of(name.size(), "byte") +
                                                " is too long for a zip member name");
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

  // All npy headers in one buffer (~128 bytes each), made before any thread
  // starts reading them.
  uint64_t total = 0;
  std::string header_bytes;
  header_bytes.reserve(r.tensor_count * 128);
  std::vector<size_t> header_end(r.tensor_count);
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const wio_tensor_in &t = r.tensors[i];
    total += t.nbytes;
    append_npy_header(header_bytes, *npy_descr(t.dtype), t.shape, t.ndim);
    header_end[i] = header_bytes.size();
  }
  auto header = [&](size_t i) {
    const size_t start = i == 0 ? 0 : header_end[i - 1];
    return std::string_view(header_bytes).substr(start, header_end[i] - start);
  };
  std::string member; // reused: no allocation per member
  auto member_name = [&](size_t i) -> std::string_view {
    member.assign(sdk::view(r.tensors[i].name));
    member += ".npy";
    return member;
  };

  // The zip64 option (ABI 2); an ABI-1 host sets the flag instead.
  const auto zip64 = sdk::write_option(r, "zip64");
  const bool force_zip64 = zip64 ? *zip64 == "true" : (r.flags & WIO_WRITE_FORCE_ZIP64) != 0;
  zip::ZipWriter archive(sink, sink.position(), force_zip64);
  if (level == 0) {
    // Plain sink writes: the host copies them into its staging ring and
    // writes large aligned blocks on a thread of its own (file_sink.hpp). A
    // small member's CRC-32 is computed first, then its bytes are written
    // (the second read hits the cache). A large member is read once: its CRC
    // is computed piece by piece as the pieces are written, and patched into
    // its local header once its data is written.
    uint64_t done = 0, reported = 0;
    auto advance = [&](uint64_t n) { // per MiB, not per small member
      done += n;
      if (done - reported >= kProgressStep) {
        sink.progress(done, total);
        reported = done;
      }
    };
    for (size_t i = 0; i < r.tensor_count; ++i)
      archive.write_stored(member_name(i), header(i), r.tensors[i].data, r.tensors[i].nbytes,
                           advance);
    archive.finish();
    sink.progress(done, total);
    return;
  }
  std::vector<zip::DeflatePipeline::Member> members(r.tensor_count);
  for (size_t i = 0; i < r.tensor_count; ++i)
    members[i] = {header(i), r.tensors[i].data, static_cast<size_t>(r.tensors[i].nbytes)};
  zip::DeflatePipeline pipeline(level, members);
  uint64_t done = 0;
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const auto &c = pipeline.get(i);
    const wio_iovec pieces[] = {{c.lead.data(), c.lead.size()}, {c.body.data(), c.body.size()}};
    archive.add_deflated(member_name(i), pieces, c.crc, header(i).size() + r.tensors[i].nbytes);
    pipeline.release(i);
    done += r.tensors[i].nbytes;
    sink.progress(done, total);
  }
  archive.finish();
}

} // namespace weightio::npz
