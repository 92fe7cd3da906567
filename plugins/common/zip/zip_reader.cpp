#include "zip_reader.hpp"

#include "../count_text.hpp"
#include "cp437.hpp"
#include "zip_error.hpp"
#include "zip_format.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <optional>

namespace weightio::zip {
using common::count_of;
namespace {

struct Directory {
  uint64_t count; // as declared; informational (see read_zip_directory)
  uint64_t size;
  uint64_t offset;
  uint64_t end;       // where the directory must end: the first end record
  const char *record; // which end record the values come from, for messages
};

[[noreturn]] void not_zip(const std::string &why) {
  refuse(ZipError::not_an_archive, {}, why);
}

[[noreturn]] void bad_member(const std::string &name, const std::string &why) {
  refuse(ZipError::bad_member, name, why);
}

std::string bytes_at(uint64_t size, uint64_t offset) {
  return count_of(size, "byte") + " at offset " + std::to_string(offset);
}

// Finds the end-of-central-directory record: the last signature in the final
// 64 KiB + 22 bytes whose comment fits in the file.
uint64_t find_end_record(ByteSource &src) {
  const uint64_t size = src.size();
  if (size < kEndOfCentralDirSize)
    not_zip(size == 0 ? "the file is empty" : "the file is too short");
  const uint64_t tail_size = std::min<uint64_t>(size, kEndOfCentralDirSize + 0xFFFF);
  const uint64_t tail_start = size - tail_size;
  const std::span<const uint8_t> tail = src.read(tail_start, tail_size);
  for (uint64_t pos = tail_size - kEndOfCentralDirSize + 1; pos-- > 0;) {
    if (sdk::load_le<uint32_t>(&tail[pos]) != kEndOfCentralDirSig)
      continue;
    const uint16_t comment = sdk::load_le<uint16_t>(&tail[pos + 20]);
    if (pos + kEndOfCentralDirSize + comment <= tail_size)
      return tail_start + pos;
  }
  not_zip("no end-of-central-directory record (truncated, or not a zip file)");
}

// The fields of a record read from `src` at `offset`, `size` bytes, which the
// caller checked are there.
sdk::ByteReader record_at(ByteSource &src, uint64_t offset, uint64_t size) {
  const std::span<const uint8_t> w = src.read(offset, size);
  return sdk::ByteReader(w.data(), w.size());
}

Directory read_end_records(ByteSource &src) {
  const uint64_t file_size = src.size();
  const uint64_t eocd = find_end_record(src);
  sdk::ByteReader e = record_at(src, eocd, kEndOfCentralDirSize);
  e.skip(4, "signature");
  const uint16_t disk = e.u16("disk number");
  const uint16_t cd_disk = e.u16("directory disk");
  e.skip(2, "entries on this disk");
  Directory d;
  d.count = e.u16("entries");
  d.size = e.u32("directory size");
  d.offset = e.u32("directory offset");
  d.end = eocd;
  d.record = "the end record";
  const bool has_locator =
      eocd >= kZip64LocatorSize &&
      sdk::load_le<uint32_t>(src.read(eocd - kZip64LocatorSize, 4).data()) == kZip64LocatorSig;
  if (has_locator) {
    sdk::ByteReader loc = record_at(src, eocd - kZip64LocatorSize, kZip64LocatorSize);
    loc.skip(4, "signature");
    const uint32_t end64_disk = loc.u32("ZIP64 end record disk");
    const uint64_t end64 = loc.u64("ZIP64 end record offset");
    const uint32_t disks = loc.u32("disks");
    if (end64_disk != 0 || disks > 1)
      not_zip("multi-disk archives are not supported");
    if (end64 > eocd - kZip64LocatorSize || eocd - kZip64LocatorSize - end64 < kZip64EndSize)
      not_zip("the ZIP64 end-of-central-directory record is missing or out of place");
    sdk::ByteReader z = record_at(src, end64, kZip64EndSize);
    if (z.u32("signature") != kZip64EndSig)
      not_zip("the ZIP64 end-of-central-directory record is missing or out of place");
    z.skip(12, "record size and versions");
    if (z.u32("disk number") != 0 || z.u32("directory disk") != 0)
      not_zip("multi-disk archives are not supported");
    z.skip(8, "entries on this disk");
    d.count = z.u64("entries");
    d.size = z.u64("directory size");
    d.offset = z.u64("directory offset");
    d.end = end64;
    d.record = "the ZIP64 end record";
  } else {
    // The entry counts are not checked: like Python's zipfile, the reader
    // takes the members from the directory itself (see read_zip_directory).
    if (disk != 0 || cd_disk != 0)
      not_zip("multi-disk archives are not supported");
    if (d.size == kMax32 || d.offset == kMax32)
      not_zip("the end record needs ZIP64 values but there is no ZIP64 record");
  }
  // The directory ends where the end record begins (APPNOTE 4.3.6, and what
  // zipfile assumes when it locates it). A directory said to lie elsewhere
  // would leave members unread or read other bytes as entries: refused.
  if (d.offset > file_size || file_size - d.offset < d.size)
    not_zip("the central directory lies outside the file: " + std::string(d.record) +
            " gives it as " + bytes_at(d.size, d.offset) + ", in a file of " +
            count_of(file_size, "byte"));
  if (d.offset + d.size != d.end)
    not_zip(std::string(d.record) +
            " and the central directory disagree: it gives the directory as " +
            bytes_at(d.size, d.offset) + ", ending at offset " + std::to_string(d.offset + d.size) +
            ", but the directory must end where " + d.record + " begins, at offset " +
            std::to_string(d.end));
  return d;
}

// Values from the central ZIP64 extra record, for the fields whose 32-bit
// value is the 0xFFFFFFFF sentinel, in APPNOTE order.
void apply_zip64_extra(const std::string &name, std::span<const uint8_t> extra, bool need_u,
                       bool need_c, bool need_o, ZipEntry &e) {
  size_t p = 0;
  while (p + 4 <= extra.size()) {
    const uint16_t id = sdk::load_le<uint16_t>(&extra[p]);
    const uint16_t len = sdk::load_le<uint16_t>(&extra[p + 2]);
    if (p + 4 + len > extra.size())
      break;
    if (id == kZip64ExtraId) {
      size_t q = p + 4;
      const size_t end = q + len;
      auto take = [&](uint64_t &field) {
        if (q + 8 > end)
          bad_member(name, "its ZIP64 extra record is too short");
        field = sdk::load_le<uint64_t>(&extra[q]);
        q += 8;
      };
      if (need_u)
        take(e.uncompressed_size);
      if (need_c)
        take(e.compressed_size);
      if (need_o)
        take(e.local_offset);
      return;
    }
    p += 4 + len;
  }
  if (need_u || need_c || need_o)
    bad_member(name, "a size or offset is 0xFFFFFFFF but there is no ZIP64 extra record");
}

std::string decode_name(std::string_view raw, uint16_t flags) {
  if (flags & kFlagUtf8) {
    if (!sdk::is_utf8(raw))
      bad_member(cp437_to_utf8(raw), "the name is flagged UTF-8 but is not valid UTF-8");
    return std::string(raw);
  }
  return cp437_to_utf8(raw);
}

// Walks the directory's records without decoding them: how many there
// really are, whatever the end record counts. `cd` is the directory.
uint64_t count_entries(std::span<const uint8_t> cd, const Directory &d) {
  uint64_t n = 0;
  for (uint64_t p = 0; p < cd.size(); ++n) {
    const uint64_t left = cd.size() - p;
    if (left < kCentralHeaderSize || sdk::load_le<uint32_t>(&cd[p]) != kCentralHeaderSig) {
      if (n == 0)
        not_zip("no central directory entry at offset " + std::to_string(d.offset) + ", where " +
                d.record + " puts the directory (" + count_of(d.size, "byte") +
                "): its offset or size is wrong");
      not_zip("central directory entry " + std::to_string(n) + " (at offset " +
              std::to_string(d.offset + p) + ") is missing or corrupt; " + d.record +
              " gives the directory " + bytes_at(d.size, d.offset));
    }
    const uint64_t record = uint64_t{kCentralHeaderSize} + sdk::load_le<uint16_t>(&cd[p + 28]) +
                            sdk::load_le<uint16_t>(&cd[p + 30]) +
                            sdk::load_le<uint16_t>(&cd[p + 32]);
    if (left < record)
      not_zip("central directory entry " + std::to_string(n) + " runs past the directory (" +
              bytes_at(d.size, d.offset) + ")");
    p += record;
  }
  return n;
}

// The most bytes one byte of a raw deflate stream can inflate to. Every
// output byte comes from a literal or from a match (RFC 1951 3.2.5) of at
// most 258 bytes, coded as a length symbol and a distance symbol; a used
// symbol's Huffman code is at least 1 bit long (a code length of 0 means
// "unused", 3.2.7), so a match costs at least 2 bits and yields at most 129
// bytes a bit, 8 * 129 = 1032 a byte. Literals (at least 1 bit for 1 byte),
// stored blocks (5 bytes of header), block headers and end-of-block codes
// only lower that. The inflater is handed exactly the member's compressed
// bytes, so its output is bounded by 1032 times their count; zlib reaches
// about 1030:1 on zeros.
constexpr uint64_t kMaxDeflateRatio = 1032;

void check_inflated_size(const ZipEntry &e) {
  if (e.method != kMethodDeflate)
    return;
  const bool possible = e.compressed_size > UINT64_MAX / kMaxDeflateRatio ||
                        e.uncompressed_size <= e.compressed_size * kMaxDeflateRatio;
  if (!possible)
    bad_member(e.name, "declares " + count_of(e.uncompressed_size, "byte") + " inflated from " +
                           count_of(e.compressed_size, "compressed byte") +
                           ", more than deflate can produce (at most " +
                           std::to_string(kMaxDeflateRatio) +
                           " bytes per compressed byte); refused before inflating anything");
}

// A local header signature where no member's data lies is a member the
// central directory does not list: refused rather than silently skipped.
// Checked at the start of each gap, and after a data descriptor (flag bit
// 3: 12 to 24 bytes, with or without its signature) where one may follow.
void check_unlisted(ByteSource &src, uint64_t gap_start, uint64_t gap_end, bool after_descriptor,
                    uint64_t listed) {
  for (const uint64_t skip : {0, 12, 16, 20, 24}) {
    if (skip != 0 && !after_descriptor)
      break;
    const uint64_t p = gap_start + skip;
    if (p < gap_end && gap_end - p >= kLocalHeaderSize &&
        sdk::load_le<uint32_t>(src.read(p, 4).data()) == kLocalHeaderSig)
      not_zip("a member's local header at offset " + std::to_string(p) +
              " is not in the central directory, which lists " + count_of(listed, "member") +
              " (the end records and the directory disagree, or the directory was cut)");
  }
}

// Fills in what the member's local header adds (where its data starts) and
// checks it agrees with the directory's entry. `raw_name` is the name as the
// directory stores it.
void read_local_header(ByteSource &src, const Directory &d, std::string_view raw_name,
                       ZipEntry &e) {
  // The local header repeats the name; its extra field may differ (it
  // holds the alignment padding), so the data offset comes from it.
  const uint64_t lo = e.local_offset;
  if (lo >= d.offset || d.offset - lo < kLocalHeaderSize)
    bad_member(e.name, "its local header at offset " + std::to_string(lo) +
                           " is missing or outside the archive");
  sdk::ByteReader h = record_at(src, lo, kLocalHeaderSize);
  if (h.u32("signature") != kLocalHeaderSig)
    bad_member(e.name, "its local header at offset " + std::to_string(lo) +
                           " is missing or outside the archive");
  h.skip(4, "version and flags");
  const uint16_t method = h.u16("method");
  h.skip(16, "time, date, CRC-32 and sizes");
  const uint16_t name_len = h.u16("name length");
  const uint16_t extra_len = h.u16("extra length");
  e.data_offset = lo + kLocalHeaderSize + name_len + extra_len;
  if (e.data_offset > d.offset || d.offset - e.data_offset < e.compressed_size)
    bad_member(e.name, "its data (" + bytes_at(e.compressed_size, e.data_offset) +
                           ") runs past the end of the archive's data");
  if (name_len != raw_name.size() ||
      std::string_view(
          reinterpret_cast<const char *>(src.read(lo + kLocalHeaderSize, name_len).data()),
          name_len) != raw_name)
    bad_member(e.name, "the local header's name differs from the central directory's");
  if (method != e.method)
    bad_member(e.name, "the local header's method differs from the central directory's");
}

} // namespace

std::vector<ZipEntry> read_zip_directory(ByteSource &src, const ZipLimits &limits,
                                         DirectoryDepth depth) {
  const Directory d = read_end_records(src);
  if (limits.max_directory_bytes != 0 && d.size > limits.max_directory_bytes)
    sdk::over_limit("central directory bytes", d.size, limits.max_directory_bytes,
                    "max_header_bytes");
  const std::span<const uint8_t> cd = src.read(d.offset, d.size);
  // The members are what the directory holds, whatever the end record
  // counts: Python's zipfile (so numpy.load) never reads the count, and
  // writers that wrap it at 65535 exist. The count is only a hint here.
  const uint64_t count = count_entries(cd, d);
  if (limits.max_entries != 0 && count > limits.max_entries)
    sdk::over_limit("member count", count, limits.max_entries, "max_tensors");

  std::vector<ZipEntry> entries;
  entries.reserve(count);
  sdk::ByteReader h(cd.data(), cd.size());
  for (uint64_t i = 0; i < count; ++i) {
    // count_entries checked each record's signature and length.
    h.skip(8, "signature and versions");
    ZipEntry e;
    e.flags = h.u16("flags");
    e.method = h.u16("method");
    h.skip(4, "time and date");
    e.crc = h.u32("CRC-32");
    e.compressed_size = h.u32("compressed size");
    e.uncompressed_size = h.u32("size");
    const uint16_t name_len = h.u16("name length");
    const uint16_t extra_len = h.u16("extra length");
    const uint16_t comment_len = h.u16("comment length");
    const uint16_t disk = h.u16("disk number");
    h.skip(6, "attributes");
    e.local_offset = h.u32("local header offset");
    const std::string_view raw_name = h.bytes(name_len, "name");
    const std::string_view extra = h.bytes(extra_len, "extra field");
    h.skip(comment_len, "comment");

    e.name = decode_name(raw_name, e.flags);
    if (limits.max_name_bytes != 0 && name_len > limits.max_name_bytes)
      sdk::over_limit("member " + sdk::quoted(e.name) + ": name bytes", name_len,
                      limits.max_name_bytes, "max_name_bytes");
    if (e.name.find('\0') != std::string::npos)
      bad_member(e.name, "the name contains a NUL byte");
    apply_zip64_extra(e.name, {reinterpret_cast<const uint8_t *>(extra.data()), extra.size()},
                      e.uncompressed_size == kMax32, e.compressed_size == kMax32,
                      e.local_offset == kMax32, e);
    if (disk != 0 && disk != kMax16)
      bad_member(e.name, "it lies on another disk of a multi-disk archive");
    if (e.flags & kFlagEncrypted)
      bad_member(e.name, "it is encrypted");
    if (e.method != kMethodStored && e.method != kMethodDeflate)
      bad_member(e.name, "unsupported compression method " + std::to_string(e.method) +
                             " (only stored and deflated members are read)");
    if (e.method == kMethodStored && e.compressed_size != e.uncompressed_size)
      bad_member(e.name, "stored, but its compressed size " + std::to_string(e.compressed_size) +
                             " differs from its size " + std::to_string(e.uncompressed_size));
    check_inflated_size(e);
    if (depth == DirectoryDepth::full)
      read_local_header(src, d, raw_name, e);
    entries.push_back(std::move(e));
  }

  std::sort(entries.begin(), entries.end(),
            [](const ZipEntry &a, const ZipEntry &b) { return a.local_offset < b.local_offset; });
  if (depth == DirectoryDepth::central)
    return entries;
  uint64_t gap_start = 0;
  bool after_descriptor = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    const ZipEntry &e = entries[i];
    if (i > 0 && e.local_offset < gap_start)
      bad_member(e.name, "it overlaps member " + sdk::quoted(entries[i - 1].name));
    check_unlisted(src, gap_start, e.local_offset, after_descriptor, entries.size());
    gap_start = e.data_offset + e.compressed_size;
    after_descriptor = (e.flags & kFlagDataDescriptor) != 0;
  }
  check_unlisted(src, gap_start, d.offset, after_descriptor, entries.size());
  return entries;
}

void locate_member_data(ByteSource &src, ZipEntry &e) {
  // The archive's end stands in for the directory's offset: the data must
  // lie inside the file. The name compared is the decoded one, which is the
  // stored one for the ASCII names the callers (PyTorch) read.
  Directory d{};
  d.offset = src.size();
  read_local_header(src, d, e.name, e);
}

} // namespace weightio::zip
