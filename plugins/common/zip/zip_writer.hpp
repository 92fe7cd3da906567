// Writes a ZIP archive to the host's sink, one member at a time, without
// holding the archive: only the central directory (about 100 bytes a member)
// is kept until the end. Every write is a plain sink write: the host stages
// and batches them (core/src/file_sink.hpp).
#pragma once

#include "crc32.hpp"

#include <weightio/plugin_sdk.hpp>

#include <algorithm>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weightio::zip {

class ZipWriter {
public:
  // force_zip64: ZIP64 records on every member and at the end, even when
  // nothing needs them (WIO_WRITE_FORCE_ZIP64).
  // start: where in the file the archive begins (the sink's position).
  ZipWriter(const sdk::Sink &sink, uint64_t start, bool force_zip64)
      : sink_(sink), force_zip64_(force_zip64), position_(start) {}

  // A stored member: `lead` (the npy header), then `size` bytes of `data`.
  // `crc` is the CRC-32 of both. The lead starts at a multiple of
  // zip::kDataAlignment in the file.
  void add_stored(std::string_view name, std::string_view lead, const void *data, uint64_t size,
                  uint32_t crc);

  // A stored member whose data the caller writes itself, right after this
  // returns: exactly `data_size` bytes, to the same sink (so that it can
  // compute the CRC-32 on the way). `crc` goes into the local header as
  // given; set_crc() fixes the central directory's copy, and the caller
  // patches the local header's at `crc_offset` in the file.
  struct StoredMember {
    size_t entry;
    uint64_t crc_offset;
  };
  StoredMember begin_stored(std::string_view name, std::string_view lead, uint64_t data_size,
                            uint32_t crc = 0);
  void set_crc(const StoredMember &m, uint32_t crc);

  // A stored member of `lead` then `size` bytes of `data`, its CRC-32
  // computed here, the one way both npz and PyTorch write theirs: a small
  // member is checksummed first and written with its CRC in place (the
  // second read hits the cache); a large one is read once, checksummed in
  // pieces as they are written, and its CRC patched into the local header
  // afterwards. `written(n)` is told of every n data bytes written (for
  // progress); it may throw (cancel), leaving the archive unfinished.
  template <class Written>
  void write_stored(std::string_view name, std::string_view lead, const void *data, uint64_t size,
                    Written &&written) {
    const auto *bytes = static_cast<const uint8_t *>(data);
    if (size < kPatchedCrcMin) {
      add_stored(name, lead, data, size, small_crc(lead, bytes, size));
      written(size);
      return;
    }
    Crc32 crc;
    crc.update(lead.data(), lead.size());
    const StoredMember m = begin_stored(name, lead, size);
    for (uint64_t at = 0; at < size;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(size - at, kCrcPiece));
      crc.update(bytes + at, n);
      sink_.write(bytes + at, n);
      at += n;
      written(n);
    }
    patch_crc(m, crc.value());
  }

  // A deflated member whose compressed bytes, CRC-32 and uncompressed size
  // are already known.
  void add_deflated(std::string_view name, std::span<const wio_iovec> compressed, uint32_t crc,
                    uint64_t uncompressed_size);

  // Writes the central directory and the end records. Call once, last.
  void finish();

private:
  // write_stored's split: members this large or larger have their CRC-32
  // patched in, computed in pieces of kCrcPiece (still in the cache when
  // copied).
  static constexpr uint64_t kPatchedCrcMin = uint64_t{256} << 10;
  static constexpr size_t kCrcPiece = size_t{64} << 10;
  static uint32_t small_crc(std::string_view lead, const uint8_t *data, uint64_t size);
  // set_crc, and the local header's copy patched through the sink.
  void patch_crc(const StoredMember &m, uint32_t crc);

  struct Entry {
    size_t name_offset; // in names_: one string for all, not one each
    uint16_t name_size;
    uint16_t flags;
    uint16_t method;
    uint32_t crc;
    uint64_t compressed_size;
    uint64_t uncompressed_size;
    uint64_t local_offset;
  };

  Entry new_entry(std::string_view name, uint16_t method);
  // begin_stored(), with `more` (lead_size bytes of npy header, then maybe
  // the data) written right after the local header.
  StoredMember start_stored(std::string_view name, size_t lead_size, uint64_t data_size,
                            uint32_t crc, std::span<const wio_iovec> more);
  std::string_view entry_name(const Entry &e) const;
  // The local header, then `more` (the npy header, data), in one writev.
  void add_local_header(const Entry &e, bool zip64, bool align,
                        std::span<const wio_iovec> more = {});

  const sdk::Sink &sink_;
  bool force_zip64_;
  std::vector<Entry> entries_;
  std::string names_;
  uint64_t position_ = 0; // where the next member starts
};

} // namespace weightio::zip
