// Reads a ZIP archive's central directory and checks every offset and size
// in it against the archive before anyone uses them. The bytes come through
// a ByteSource, in a few windows read from the tail: the end records, the
// directory, then each member's local header. A mapped file is one
// implementation (MemorySource, zero-copy); a source that fetches ranges is
// another, so a reader need not hold the whole archive to list it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace weightio::zip {

// An archive's bytes, read by window. The reader asks for few windows (the
// last 64 KiB + 22 bytes, the ZIP64 end records, the central directory, each
// member's local header) and never one byte at a time.
class ByteSource {
public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // The `size` bytes at `offset`; the reader guarantees offset + size <=
  // size(). The bytes stay valid as long as the source does, so a source
  // that fetches keeps what it returned (about the directory's size). Throws
  // sdk::Failure when the bytes cannot be had.
  virtual std::span<const uint8_t> read(uint64_t offset, uint64_t size) = 0;
};

// The whole archive in memory (a read-only mapping): windows are views.
class MemorySource final : public ByteSource {
public:
  explicit MemorySource(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  std::span<const uint8_t> read(uint64_t offset, uint64_t size) override {
    return bytes_.subspan(static_cast<size_t>(offset), static_cast<size_t>(size));
  }

private:
  std::span<const uint8_t> bytes_;
};

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
// not a ZIP, truncated, multi-disk, encrypted, a method other than stored
// (0) or deflated (8), offsets outside the archive or overlapping members, a
// local header the directory does not list.
//
// `depth` central: the central directory only, for a caller that needs the
// members' names, sizes and CRCs (a describe) and locates the few it reads
// with locate_member_data. Their data_offset stays 0, and what needs the
// local headers (overlaps, unlisted members) is not checked. Reading every
// local header of a mapped archive faults in a page per member: 219 faults
// for a 1 GiB PyTorch checkpoint, most of its describe.
enum class DirectoryDepth { full, central };
std::vector<ZipEntry> read_zip_directory(ByteSource &archive, const ZipLimits &limits,
                                         DirectoryDepth depth = DirectoryDepth::full);

inline std::vector<ZipEntry> read_zip_directory(std::span<const uint8_t> file,
                                                const ZipLimits &limits,
                                                DirectoryDepth depth = DirectoryDepth::full) {
  MemorySource source(file);
  return read_zip_directory(source, limits, depth);
}

// Sets `e.data_offset` from its local header, as a full read does, checking
// the header (its signature, its name against e.name, its method) and that
// the data lies inside the archive. Throws sdk::Failure naming the member.
void locate_member_data(ByteSource &archive, ZipEntry &e);

inline void locate_member_data(std::span<const uint8_t> file, ZipEntry &e) {
  MemorySource source(file);
  locate_member_data(source, e);
}

} // namespace weightio::zip
