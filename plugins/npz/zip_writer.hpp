// Writes a ZIP archive to the host's sink, one member at a time, without
// staging the archive: only the central directory (about 100 bytes a member)
// and the current batch's local headers are kept. Stored members are
// gathered into large writev batches that point at the tensors' memory, so
// many small tensors cost a few syscalls and no copy in the plugin.
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
  ZipWriter(const sdk::Sink &sink, bool force_zip64)
      : sink_(sink), force_zip64_(force_zip64), position_(sink.position()) {}

  // A stored member made of `pieces` (whose CRC-32 is `crc`). Its data
  // starts at a multiple of zip::kDataAlignment in the file. The pieces are
  // written from the caller's memory, possibly later: they must stay valid
  // until finish().
  void add_stored(std::string_view name, std::span<const wio_iovec> pieces, uint32_t crc);

  // A deflated member whose compressed bytes, CRC-32 and uncompressed size
  // are already known. Written before returning, so `compressed` may be
  // reused afterwards.
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

  // A piece of the next writev: bytes of headers_ (copied there, since the
  // arena may move as it grows) or caller memory.
  struct Piece {
    const void *data; // nullptr: headers_ from `offset`
    size_t offset;
    size_t size;
  };

  Entry new_entry(std::string_view name, uint16_t method);
  std::string_view entry_name(const Entry &e) const;
  void append_local_header(std::string &out, const Entry &e, bool zip64, bool align) const;
  void add_header(const Entry &e, bool zip64, bool align);
  void add_data(const void *data, size_t size);
  void flush();

  const sdk::Sink &sink_;
  bool force_zip64_;
  std::vector<Entry> entries_;
  std::string names_;
  uint64_t position_ = 0; // where the next member starts
  std::string headers_;
  std::vector<Piece> batch_;
  uint64_t batch_bytes_ = 0;
};

} // namespace weightio::npz
