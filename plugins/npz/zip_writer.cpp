#include "zip_writer.hpp"

#include "crc32.hpp"
#include "le_bytes.hpp"
#include "zip_format.hpp"

#include <algorithm>

namespace weightio::npz {
namespace {

// Bytes CRC'd and then written per step: small enough to still be in the
// CPU cache when the sink copies them, so the data is read from memory once.
constexpr size_t kChunk = size_t{1} << 20;

bool needs_utf8_flag(std::string_view name) {
  return std::any_of(name.begin(), name.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

uint32_t clamp32(uint64_t v, bool use_sentinel) {
  return use_sentinel ? zip::kMax32 : static_cast<uint32_t>(v);
}

} // namespace

std::string ZipWriter::local_header(const Entry &e, bool zip64, bool align) const {
  std::string extra;
  if (zip64) {
    // In a local header the ZIP64 record must hold both sizes (APPNOTE 4.5.3).
    put_le<uint16_t>(extra, zip::kZip64ExtraId);
    put_le<uint16_t>(extra, 16);
    put_le<uint64_t>(extra, e.uncompressed_size);
    put_le<uint64_t>(extra, e.compressed_size);
  }
  if (align) {
    const uint64_t unpadded = e.local_offset + zip::kLocalHeaderSize + e.name.size() + extra.size();
    uint64_t pad = (zip::kDataAlignment - unpadded % zip::kDataAlignment) % zip::kDataAlignment;
    if (pad < 6) // the smallest padding record: id, size, alignment
      pad += zip::kDataAlignment;
    put_le<uint16_t>(extra, zip::kAlignExtraId);
    put_le<uint16_t>(extra, static_cast<uint16_t>(pad - 4));
    put_le<uint16_t>(extra, static_cast<uint16_t>(zip::kDataAlignment));
    extra.append(pad - 6, '\0');
  }
  std::string h;
  h.reserve(zip::kLocalHeaderSize + e.name.size() + extra.size());
  put_le<uint32_t>(h, zip::kLocalHeaderSig);
  put_le<uint16_t>(h, zip64 ? zip::kVersionZip64 : zip::kVersionDefault);
  put_le<uint16_t>(h, e.flags);
  put_le<uint16_t>(h, e.method);
  put_le<uint16_t>(h, zip::kDosTime);
  put_le<uint16_t>(h, zip::kDosDate);
  put_le<uint32_t>(h, e.crc);
  put_le<uint32_t>(h, clamp32(e.compressed_size, zip64));
  put_le<uint32_t>(h, clamp32(e.uncompressed_size, zip64));
  put_le<uint16_t>(h, static_cast<uint16_t>(e.name.size()));
  put_le<uint16_t>(h, static_cast<uint16_t>(extra.size()));
  h += e.name;
  h += extra;
  return h;
}

void ZipWriter::write_all(std::vector<wio_iovec> &batch) {
  if (!batch.empty())
    sink_.writev(batch.data(), batch.size());
  batch.clear();
}

void ZipWriter::add_stored(std::string_view name, std::span<const wio_iovec> pieces) {
  Entry e{std::string(name), 0, zip::kMethodStored, 0, 0, 0, sink_.position()};
  e.flags = needs_utf8_flag(name) ? zip::kFlagUtf8 : 0;
  for (const auto &p : pieces)
    e.uncompressed_size += p.size;
  e.compressed_size = e.uncompressed_size;
  const bool zip64 = force_zip64_ || e.uncompressed_size >= zip::kMax32;
  const std::string header = local_header(e, zip64, /*align=*/true);

  Crc32 crc;
  std::vector<wio_iovec> batch{{header.data(), header.size()}};
  size_t batch_bytes = 0;
  for (const auto &p : pieces) {
    const auto *bytes = static_cast<const uint8_t *>(p.data);
    for (size_t off = 0; off < p.size; off += kChunk) {
      const size_t len = std::min(kChunk, p.size - off);
      crc.update(bytes + off, len);
      batch.push_back({bytes + off, len});
      batch_bytes += len;
      if (batch_bytes >= kChunk) {
        write_all(batch);
        batch_bytes = 0;
      }
    }
  }
  write_all(batch);
  e.crc = crc.value();
  uint8_t crc_le[4];
  store_le<uint32_t>(crc_le, e.crc);
  sink_.pwrite(e.local_offset + 14, crc_le, sizeof crc_le);
  entries_.push_back(std::move(e));
}

void ZipWriter::add_deflated(std::string_view name, std::span<const wio_iovec> compressed,
                             uint32_t crc, uint64_t uncompressed_size) {
  Entry e{std::string(name), 0, zip::kMethodDeflate, crc, 0, uncompressed_size, sink_.position()};
  e.flags = needs_utf8_flag(name) ? zip::kFlagUtf8 : 0;
  for (const auto &p : compressed)
    e.compressed_size += p.size;
  const bool zip64 =
      force_zip64_ || e.uncompressed_size >= zip::kMax32 || e.compressed_size >= zip::kMax32;
  const std::string header = local_header(e, zip64, /*align=*/false);
  std::vector<wio_iovec> batch{{header.data(), header.size()}};
  batch.insert(batch.end(), compressed.begin(), compressed.end());
  write_all(batch);
  entries_.push_back(std::move(e));
}

void ZipWriter::finish() {
  const uint64_t cd_offset = sink_.position();
  std::string cd;
  for (const Entry &e : entries_) {
    // Only the fields that overflow go into the central ZIP64 record, in
    // this order (APPNOTE 4.5.3); forcing ZIP64 puts all three there.
    const bool big_u = force_zip64_ || e.uncompressed_size >= zip::kMax32;
    const bool big_c = force_zip64_ || e.compressed_size >= zip::kMax32;
    const bool big_o = force_zip64_ || e.local_offset >= zip::kMax32;
    std::string extra;
    if (big_u || big_c || big_o) {
      put_le<uint16_t>(extra, zip::kZip64ExtraId);
      put_le<uint16_t>(extra, static_cast<uint16_t>(8 * (big_u + big_c + big_o)));
      if (big_u)
        put_le<uint64_t>(extra, e.uncompressed_size);
      if (big_c)
        put_le<uint64_t>(extra, e.compressed_size);
      if (big_o)
        put_le<uint64_t>(extra, e.local_offset);
    }
    const uint16_t version = extra.empty() ? zip::kVersionDefault : zip::kVersionZip64;
    put_le<uint32_t>(cd, zip::kCentralHeaderSig);
    put_le<uint16_t>(cd, zip::kMadeByUnix | version);
    put_le<uint16_t>(cd, version);
    put_le<uint16_t>(cd, e.flags);
    put_le<uint16_t>(cd, e.method);
    put_le<uint16_t>(cd, zip::kDosTime);
    put_le<uint16_t>(cd, zip::kDosDate);
    put_le<uint32_t>(cd, e.crc);
    put_le<uint32_t>(cd, clamp32(e.compressed_size, big_c));
    put_le<uint32_t>(cd, clamp32(e.uncompressed_size, big_u));
    put_le<uint16_t>(cd, static_cast<uint16_t>(e.name.size()));
    put_le<uint16_t>(cd, static_cast<uint16_t>(extra.size()));
    put_le<uint16_t>(cd, 0);              // comment
    put_le<uint16_t>(cd, 0);              // disk
    put_le<uint16_t>(cd, 0);              // internal attributes
    put_le<uint32_t>(cd, 0100644u << 16); // a regular file, rw-r--r--
    put_le<uint32_t>(cd, clamp32(e.local_offset, big_o));
    cd += e.name;
    cd += extra;
  }
  const uint64_t count = entries_.size();
  const uint64_t cd_size = cd.size();
  const bool zip64 =
      force_zip64_ || count >= zip::kMax16 || cd_size >= zip::kMax32 || cd_offset >= zip::kMax32;
  if (zip64) {
    const uint64_t end64_offset = cd_offset + cd_size;
    put_le<uint32_t>(cd, zip::kZip64EndSig);
    put_le<uint64_t>(cd, zip::kZip64EndSize - 12); // size of the rest of the record
    put_le<uint16_t>(cd, zip::kMadeByUnix | zip::kVersionZip64);
    put_le<uint16_t>(cd, zip::kVersionZip64);
    put_le<uint32_t>(cd, 0); // this disk
    put_le<uint32_t>(cd, 0); // disk with the central directory
    put_le<uint64_t>(cd, count);
    put_le<uint64_t>(cd, count);
    put_le<uint64_t>(cd, cd_size);
    put_le<uint64_t>(cd, cd_offset);
    put_le<uint32_t>(cd, zip::kZip64LocatorSig);
    put_le<uint32_t>(cd, 0);
    put_le<uint64_t>(cd, end64_offset);
    put_le<uint32_t>(cd, 1); // total disks
  }
  put_le<uint32_t>(cd, zip::kEndOfCentralDirSig);
  put_le<uint16_t>(cd, 0);
  put_le<uint16_t>(cd, 0);
  put_le<uint16_t>(cd, zip64 ? zip::kMax16 : static_cast<uint16_t>(count));
  put_le<uint16_t>(cd, zip64 ? zip::kMax16 : static_cast<uint16_t>(count));
  put_le<uint32_t>(cd, clamp32(cd_size, zip64));
  put_le<uint32_t>(cd, clamp32(cd_offset, zip64));
  put_le<uint16_t>(cd, 0); // comment
  sink_.write(cd);
}

} // namespace weightio::npz
