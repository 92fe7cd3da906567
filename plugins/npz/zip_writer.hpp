// Writes a ZIP archive to the host's sink, one member at a time, without
// staging the archive: only the central directory (about 100 bytes a member)
// is kept until the end.
#pragma once

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weightio::npz {

class ZipWriter {
public:
  // force_zip64: ZIP64 records on every member and at the end, even when
  // nothing needs them (WIO_WRITE_FORCE_ZIP64).
  ZipWriter(const sdk::Sink &sink, bool force_zip64) : sink_(sink), force_zip64_(force_zip64) {}

  // A stored member made of `pieces`, written in order straight from the
  // caller's memory. Its data starts at a multiple of zip::kDataAlignment in
  // the file. The CRC-32 is computed chunk by chunk as the bytes go out, then
  // patched into the local header.
  void add_stored(std::string_view name, std::span<const wio_iovec> pieces);

  // A deflated member whose compressed bytes, CRC-32 and uncompressed size
  // are already known.
  void add_deflated(std::string_view name, std::span<const wio_iovec> compressed, uint32_t crc,
                    uint64_t uncompressed_size);

  // Writes the central directory and the end records. Call once, last.
  void finish();

private:
  struct Entry {
    std::string name;
    uint16_t flags;
    uint16_t method;
    uint32_t crc;
    uint64_t compressed_size;
    uint64_t uncompressed_size;
    uint64_t local_offset;
  };

  std::string local_header(const Entry &e, bool zip64, bool align) const;
  void write_all(std::vector<wio_iovec> &batch);

  const sdk::Sink &sink_;
  bool force_zip64_;
  std::vector<Entry> entries_;
};

} // namespace weightio::npz
