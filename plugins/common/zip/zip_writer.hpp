// Writes a ZIP archive to the host's sink, one member at a time, without
// holding the archive: only the central directory (about 100 bytes a member)
// is kept until the end. Every write is a plain sink write: the host stages
// and batches them (core/src/file_sink.hpp).
#pragma once

#include <weightio/plugin_sdk.hpp>

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

  // A deflated member whose compressed bytes, CRC-32 and uncompressed size
  // are already known.
  void add_deflated(std::string_view name, std::span<const wio_iovec> compressed, uint32_t crc,
                    uint64_t uncompressed_size);

  // Writes the central directory and the end records. Call once, last.
  void finish();

private:
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
