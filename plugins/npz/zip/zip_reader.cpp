#include "zip_reader.hpp"

#include "../../common/le_bytes.hpp"
#include "../../common/utf8.hpp"
#include "../message_text.hpp"
#include "cp437.hpp"
#include "zip_format.hpp"

#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <optional>

namespace weightio::npz {
namespace {

struct Directory {
  uint64_t count; // as declared; informational (see read_zip_directory)
  uint64_t size;
  uint64_t offset;
  uint64_t end;       // where the directory must end: the first end record
  const char *record; // which end record the values come from, for messages
};

[[noreturn]] void not_zip(const std::string &why) {
  sdk::invalid_file("not a valid zip archive: " + why);
}

[[noreturn]] void bad_member(const std::string &name, const std::string &why) {
  sdk::invalid_file("member " + quoted_name(name) + ": " + why);
}

std::string bytes_at(uint64_t size, uint64_t offset) {
  return count_of(size, "byte") + " at offset " + std::to_string(offset);
}

// Finds the end-of-central-directory record: the last signature in the final
// 64 KiB + 22 bytes whose comment fits in the file.
uint64_t find_end_record(std::span<const uint8_t> f) {
  if (f.size() < zip::kEndOfCentralDirSize)
    not_zip(f.empty() ? "the file is empty" : "the file is too short");
  const uint64_t last = f.size() - zip::kEndOfCentralDirSize;
  const uint64_t first = last > 0xFFFF ? last - 0xFFFF : 0;
  for (uint64_t pos = last + 1; pos-- > first;) {
    if (common::load_le<uint32_t>(&f[pos]) != zip::kEndOfCentralDirSig)
      continue;
    const uint16_t comment = common::load_le<uint16_t>(&f[pos + 20]);
    if (pos + zip::kEndOfCentralDirSize + comment <= f.size())
      return pos;
  }
  not_zip("no end-of-central-directory record (truncated, or not a zip file)");
}

Directory read_end_records(std::span<const uint8_t> f) {
  const uint64_t eocd = find_end_record(f);
  const uint8_t *e = &f[eocd];
  const uint16_t disk = common::load_le<uint16_t>(e + 4),
                 cd_disk = common::load_le<uint16_t>(e + 6);
  Directory d{common::load_le<uint16_t>(e + 10), common::load_le<uint32_t>(e + 12),
              common::load_le<uint32_t>(e + 16), eocd, "the end record"};
  const bool has_locator =
      eocd >= zip::kZip64LocatorSize &&
      common::load_le<uint32_t>(&f[eocd - zip::kZip64LocatorSize]) == zip::kZip64LocatorSig;
  if (has_locator) {
    const uint8_t *loc = &f[eocd - zip::kZip64LocatorSize];
    const uint64_t end64 = common::load_le<uint64_t>(loc + 8);
    if (common::load_le<uint32_t>(loc + 4) != 0 || common::load_le<uint32_t>(loc + 16) > 1)
      not_zip("multi-disk archives are not supported");
    if (end64 > eocd - zip::kZip64LocatorSize ||
        eocd - zip::kZip64LocatorSize - end64 < zip::kZip64EndSize ||
        common::load_le<uint32_t>(&f[end64]) != zip::kZip64EndSig)
      not_zip("the ZIP64 end-of-central-directory record is missing or out of place");
    const uint8_t *z = &f[end64];
    if (common::load_le<uint32_t>(z + 16) != 0 || common::load_le<uint32_t>(z + 20) != 0)
      not_zip("multi-disk archives are not supported");
    d = {common::load_le<uint64_t>(z + 32), common::load_le<uint64_t>(z + 40),
         common::load_le<uint64_t>(z + 48), end64, "the ZIP64 end record"};
  } else {
    // The entry counts are not checked: like Python's zipfile, the reader
    // takes the members from the directory itself (see read_zip_directory).
    if (disk != 0 || cd_disk != 0)
      not_zip("multi-disk archives are not supported");
    if (d.size == zip::kMax32 || d.offset == zip::kMax32)
      not_zip("the end record needs ZIP64 values but there is no ZIP64 record");
  }
  // The directory ends where the end record begins (APPNOTE 4.3.6, and what
  // zipfile assumes when it locates it). A directory said to lie elsewhere
  // would leave members unread or read other bytes as entries: refused.
  if (d.offset > f.size() || f.size() - d.offset < d.size)
    not_zip("the central directory lies outside the file: " + std::string(d.record) +
            " gives it as " + bytes_at(d.size, d.offset) + ", in a file of " +
            count_of(f.size(), "byte"));
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
    const uint16_t id = common::load_le<uint16_t>(&extra[p]);
    const uint16_t len = common::load_le<uint16_t>(&extra[p + 2]);
    if (p + 4 + len > extra.size())
      break;
    if (id == zip::kZip64ExtraId) {
      size_t q = p + 4;
      const size_t end = q + len;
      auto take = [&](uint64_t &field) {
        if (q + 8 > end)
          bad_member(name, "its ZIP64 extra record is too short");
        field = common::load_le<uint64_t>(&extra[q]);
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
  if (flags & zip::kFlagUtf8) {
    if (!common::is_utf8(raw))
      bad_member(cp437_to_utf8(raw), "the name is flagged UTF-8 but is not valid UTF-8");
    return std::string(raw);
  }
  return cp437_to_utf8(raw);
}

// Walks the directory's records without decoding them: how many there
// really are, whatever the end record counts.
uint64_t count_entries(std::span<const uint8_t> f, const Directory &d) {
  uint64_t n = 0;
  const uint64_t cd_end = d.offset + d.size;
  for (uint64_t p = d.offset; p < cd_end; ++n) {
    if (cd_end - p < zip::kCentralHeaderSize ||
        common::load_le<uint32_t>(&f[p]) != zip::kCentralHeaderSig) {
      if (n == 0)
        not_zip("no central directory entry at offset " + std::to_string(d.offset) + ", where " +
                d.record + " puts the directory (" + count_of(d.size, "byte") +
                "): its offset or size is wrong");
      not_zip("central directory entry " + std::to_string(n) + " (at offset " + std::to_string(p) +
              ") is missing or corrupt; " + d.record + " gives the directory " +
              bytes_at(d.size, d.offset));
    }
    const uint64_t record =
        uint64_t{zip::kCentralHeaderSize} + common::load_le<uint16_t>(&f[p + 28]) +
        common::load_le<uint16_t>(&f[p + 30]) + common::load_le<uint16_t>(&f[p + 32]);
    if (cd_end - p < record)
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
  if (e.method != zip::kMethodDeflate)
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
void check_unlisted(std::span<const uint8_t> f, uint64_t gap_start, uint64_t gap_end,
                    bool after_descriptor, uint64_t listed) {
  for (const uint64_t skip : {0, 12, 16, 20, 24}) {
    if (skip != 0 && !after_descriptor)
      break;
    const uint64_t p = gap_start + skip;
    if (p < gap_end && gap_end - p >= zip::kLocalHeaderSize &&
        common::load_le<uint32_t>(&f[p]) == zip::kLocalHeaderSig)
      not_zip("a member's local header at offset " + std::to_string(p) +
              " is not in the central directory, which lists " + count_of(listed, "member") +
              " (the end records and the directory disagree, or the directory was cut)");
  }
}

} // namespace

std::vector<ZipEntry> read_zip_directory(std::span<const uint8_t> f, const ZipLimits &limits) {
  const Directory d = read_end_records(f);
  if (limits.max_directory_bytes != 0 && d.size > limits.max_directory_bytes)
    sdk::invalid_file("the central directory is " + count_of(d.size, "byte") +
                      ", more than the limit of " + std::to_string(limits.max_directory_bytes));
  // The members are what the directory holds, whatever the end record
  // counts: Python's zipfile (so numpy.load) never reads the count, and
  // writers that wrap it at 65535 exist. The count is only a hint here.
  const uint64_t count = count_entries(f, d);
  if (limits.max_entries != 0 && count > limits.max_entries)
    sdk::invalid_file("the archive has " + count_of(count, "member") + ", more than the limit of " +
                      std::to_string(limits.max_entries));

  std::vector<ZipEntry> entries;
  entries.reserve(count);
  uint64_t p = d.offset;
  for (uint64_t i = 0; i < count; ++i) {
    // count_entries checked each record's signature and length.
    const uint8_t *h = &f[p];
    const uint16_t name_len = common::load_le<uint16_t>(h + 28);
    const uint16_t extra_len = common::load_le<uint16_t>(h + 30);
    const uint16_t comment_len = common::load_le<uint16_t>(h + 32);
    const uint64_t record = uint64_t{zip::kCentralHeaderSize} + name_len + extra_len + comment_len;
    const std::string_view raw_name(reinterpret_cast<const char *>(h + 46), name_len);
    ZipEntry e;
    e.flags = common::load_le<uint16_t>(h + 8);
    e.name = decode_name(raw_name, e.flags);
    if (limits.max_name_bytes != 0 && name_len > limits.max_name_bytes)
      bad_member(e.name,
                 "the name is longer than the limit of " + count_of(limits.max_name_bytes, "byte"));
    if (e.name.find('\0') != std::string::npos)
      bad_member(e.name, "the name contains a NUL byte");
    e.method = common::load_le<uint16_t>(h + 10);
    e.crc = common::load_le<uint32_t>(h + 16);
    e.compressed_size = common::load_le<uint32_t>(h + 20);
    e.uncompressed_size = common::load_le<uint32_t>(h + 24);
    e.local_offset = common::load_le<uint32_t>(h + 42);
    apply_zip64_extra(e.name, {h + 46 + name_len, extra_len}, e.uncompressed_size == zip::kMax32,
                      e.compressed_size == zip::kMax32, e.local_offset == zip::kMax32, e);
    if (common::load_le<uint16_t>(h + 34) != 0 && common::load_le<uint16_t>(h + 34) != zip::kMax16)
      bad_member(e.name, "it lies on another disk of a multi-disk archive");
    if (e.flags & zip::kFlagEncrypted)
      bad_member(e.name, "it is encrypted");
    if (e.method != zip::kMethodStored && e.method != zip::kMethodDeflate)
      bad_member(e.name, "unsupported compression method " + std::to_string(e.method) +
                             " (npz members are stored or deflated)");
    if (e.method == zip::kMethodStored && e.compressed_size != e.uncompressed_size)
      bad_member(e.name, "stored, but its compressed size " + std::to_string(e.compressed_size) +
                             " differs from its size " + std::to_string(e.uncompressed_size));
    check_inflated_size(e);

    // The local header repeats the name; its extra field may differ (it
    // holds the alignment padding), so the data offset comes from it.
    const uint64_t lo = e.local_offset;
    if (lo >= d.offset || d.offset - lo < zip::kLocalHeaderSize ||
        common::load_le<uint32_t>(&f[lo]) != zip::kLocalHeaderSig)
      bad_member(e.name, "its local header at offset " + std::to_string(lo) +
                             " is missing or outside the archive");
    const uint16_t local_name_len = common::load_le<uint16_t>(&f[lo + 26]);
    const uint16_t local_extra_len = common::load_le<uint16_t>(&f[lo + 28]);
    e.data_offset = lo + zip::kLocalHeaderSize + local_name_len + local_extra_len;
    if (e.data_offset > d.offset || d.offset - e.data_offset < e.compressed_size)
      bad_member(e.name, "its data (" + bytes_at(e.compressed_size, e.data_offset) +
                             ") runs past the end of the archive's data");
    if (local_name_len != name_len ||
        std::string_view(reinterpret_cast<const char *>(&f[lo + 30]), name_len) != raw_name)
      bad_member(e.name, "the local header's name differs from the central directory's");
    if (common::load_le<uint16_t>(&f[lo + 8]) != e.method)
      bad_member(e.name, "the local header's method differs from the central directory's");
    entries.push_back(std::move(e));
    p += record;
  }

  std::sort(entries.begin(), entries.end(),
            [](const ZipEntry &a, const ZipEntry &b) { return a.local_offset < b.local_offset; });
  uint64_t gap_start = 0;
  bool after_descriptor = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    const ZipEntry &e = entries[i];
    if (i > 0 && e.local_offset < gap_start)
      bad_member(e.name, "it overlaps member " + quoted_name(entries[i - 1].name));
    check_unlisted(f, gap_start, e.local_offset, after_descriptor, entries.size());
    gap_start = e.data_offset + e.compressed_size;
    after_descriptor = (e.flags & zip::kFlagDataDescriptor) != 0;
  }
  check_unlisted(f, gap_start, d.offset, after_descriptor, entries.size());
  return entries;
}

} // namespace weightio::npz
