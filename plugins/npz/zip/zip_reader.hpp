// Reads a ZIP archive's central directory from the mapped file and checks
// every offset and size in it against the file before anyone uses them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace weightio::npz {

struct ZipEntry {
  std::string name; // UTF-8 (decoded from CP437 when the UTF-8 flag is off)
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_offset = 0;
  // Where the member's bytes start; data_offset + compressed_size is inside
  // the file and before the central directory.
  uint64_t data_offset = 0;
};

struct ZipLimits {
  uint64_t max_entries = 0;         // 0 = none
  uint64_t max_directory_bytes = 0; // central directory size; 0 = none
  uint64_t max_name_bytes = 0;      // 0 = none
};

// The archive's members, sorted by where their data lies. Throws
// sdk::Failure(WIO_ERR_INVALID_FILE) naming the member and the problem:
// not a ZIP, truncated, multi-disk, encrypted, an unknown method, offsets
// outside the file or overlapping members.
std::vector<ZipEntry> read_zip_directory(std::span<const uint8_t> file, const ZipLimits &limits);

} // namespace weightio::npz
