#include "zip_writer.hpp"

#include "crc32.hpp"
#include "zip_format.hpp"

#include <weightio/byte_io.hpp>

#include <algorithm>
#include <cstring>

namespace weightio::zip {
namespace {

// A record of at most N bytes built field by field on the stack, then
// written at once: std::string's appends are not inlined (libstdc++
// instantiates them out of line), and every member has records.
template <size_t N> class LeRecord {
public:
  template <class T> void put(T v) {
    sdk::store_le<T>(bytes_ + size_, v);
    size_ += sizeof(T);
  }
  void zeros(size_t n) {
    std::memset(bytes_ + size_, 0, n);
    size_ += n;
  }
  size_t size() const { return size_; }
  std::string_view view() const { return {reinterpret_cast<const char *>(bytes_), size_}; }

private:
  uint8_t bytes_[N];
  size_t size_ = 0;
};

bool needs_utf8_flag(std::string_view name) {
  return std::any_of(name.begin(), name.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

uint32_t clamp32(uint64_t v, bool use_sentinel) {
  return use_sentinel ? zip::kMax32 : static_cast<uint32_t>(v);
}

} // namespace

void ZipWriter::add_local_header(const Entry &e, bool zip64, bool align,
                                 std::span<const wio_iovec> more) {
  const std::string_view name = entry_name(e);
  LeRecord<20 + 6 + zip::kDataAlignment> extra;
  if (zip64) {
    // In a local header the ZIP64 record must hold both sizes (APPNOTE 4.5.3).
    extra.put<uint16_t>(zip::kZip64ExtraId);
    extra.put<uint16_t>(16);
    extra.put<uint64_t>(e.uncompressed_size);
    extra.put<uint64_t>(e.compressed_size);
  }
  if (align) {
    const uint64_t unpadded = e.local_offset + zip::kLocalHeaderSize + name.size() + extra.size();
    uint64_t pad = (zip::kDataAlignment - unpadded % zip::kDataAlignment) % zip::kDataAlignment;
    if (pad < 6) // the smallest padding record: id, size, alignment
      pad += zip::kDataAlignment;
    extra.put<uint16_t>(zip::kAlignExtraId);
    extra.put<uint16_t>(static_cast<uint16_t>(pad - 4));
    extra.put<uint16_t>(static_cast<uint16_t>(zip::kDataAlignment));
    extra.zeros(pad - 6);
  }
  LeRecord<zip::kLocalHeaderSize> h;
  h.put<uint32_t>(zip::kLocalHeaderSig);
  h.put<uint16_t>(zip64 ? zip::kVersionZip64 : zip::kVersionDefault);
  h.put<uint16_t>(e.flags);
  h.put<uint16_t>(e.method);
  h.put<uint16_t>(zip::kDosTime);
  h.put<uint16_t>(zip::kDosDate);
  h.put<uint32_t>(e.crc);
  h.put<uint32_t>(clamp32(e.compressed_size, zip64));
  h.put<uint32_t>(clamp32(e.uncompressed_size, zip64));
  h.put<uint16_t>(static_cast<uint16_t>(name.size()));
  h.put<uint16_t>(static_cast<uint16_t>(extra.size()));
  wio_iovec iov[5] = {{h.view().data(), h.view().size()},
                      {name.data(), name.size()},
                      {extra.view().data(), extra.view().size()}};
  if (more.size() <= 2) {
    std::copy(more.begin(), more.end(), iov + 3);
    sink_.writev(iov, 3 + more.size());
  } else {
    sink_.writev(iov, 3);
    sink_.writev(more.data(), more.size());
  }
  position_ += h.size() + name.size() + extra.size();
}

std::string_view ZipWriter::entry_name(const Entry &e) const {
  return std::string_view(names_).substr(e.name_offset, e.name_size);
}

ZipWriter::Entry ZipWriter::new_entry(std::string_view name, uint16_t method) {
  Entry e{names_.size(), static_cast<uint16_t>(name.size()), 0, method, 0, 0, 0, position_};
  e.flags = needs_utf8_flag(name) ? zip::kFlagUtf8 : 0;
  names_ += name;
  return e;
}

void ZipWriter::add_stored(std::string_view name, std::string_view lead, const void *data,
                           uint64_t size, uint32_t crc) {
  const wio_iovec more[] = {{lead.data(), lead.size()}, {data, static_cast<size_t>(size)}};
  start_stored(name, lead.size(), size, crc, more);
}

ZipWriter::StoredMember ZipWriter::begin_stored(std::string_view name, std::string_view lead,
                                                uint64_t data_size, uint32_t crc) {
  const wio_iovec more[] = {{lead.data(), lead.size()}};
  return start_stored(name, lead.size(), data_size, crc, more);
}

ZipWriter::StoredMember ZipWriter::start_stored(std::string_view name, size_t lead_size,
                                                uint64_t data_size, uint32_t crc,
                                                std::span<const wio_iovec> more) {
  Entry e = new_entry(name, zip::kMethodStored);
  e.crc = crc;
  e.uncompressed_size = lead_size + data_size;
  e.compressed_size = e.uncompressed_size;
  const bool zip64 = force_zip64_ || e.uncompressed_size >= zip::kMax32;
  add_local_header(e, zip64, /*align=*/true, more);
  // The data follows (in `more`, or from the caller): counted now, so that
  // the next member's offset is right.
  position_ += lead_size + data_size;
  entries_.push_back(std::move(e));
  // The CRC field: after signature (4), versions, flags, method, time, date.
  return {entries_.size() - 1, entries_.back().local_offset + 14};
}

uint32_t ZipWriter::small_crc(std::string_view lead, const uint8_t *data, uint64_t size) {
  Crc32 crc;
  crc.update(lead.data(), lead.size());
  crc.update(data, size);
  return crc.value();
}

void ZipWriter::patch_crc(const StoredMember &m, uint32_t crc) {
  set_crc(m, crc);
  uint8_t le[4];
  sdk::store_le<uint32_t>(le, crc);
  sink_.pwrite(m.crc_offset, le, sizeof le);
}

void ZipWriter::set_crc(const StoredMember &m, uint32_t crc) {
  entries_.at(m.entry).crc = crc;
}

void ZipWriter::add_deflated(std::string_view name, std::span<const wio_iovec> compressed,
                             uint32_t crc, uint64_t uncompressed_size) {
  Entry e = new_entry(name, zip::kMethodDeflate);
  e.crc = crc;
  e.uncompressed_size = uncompressed_size;
  for (const auto &p : compressed)
    e.compressed_size += p.size;
  const bool zip64 =
      force_zip64_ || e.uncompressed_size >= zip::kMax32 || e.compressed_size >= zip::kMax32;
  add_local_header(e, zip64, /*align=*/false, compressed);
  position_ += e.compressed_size;
  entries_.push_back(std::move(e));
}

void ZipWriter::finish() {
  const uint64_t cd_offset = position_;
  std::string cd;
  cd.reserve(entries_.size() * (zip::kCentralHeaderSize + 28) + names_.size() + 100);
  for (const Entry &e : entries_) {
    // Only the fields that overflow go into the central ZIP64 record, in
    // this order (APPNOTE 4.5.3); forcing ZIP64 puts all three there.
    const bool big_u = force_zip64_ || e.uncompressed_size >= zip::kMax32;
    const bool big_c = force_zip64_ || e.compressed_size >= zip::kMax32;
    const bool big_o = force_zip64_ || e.local_offset >= zip::kMax32;
    LeRecord<28> extra;
    if (big_u || big_c || big_o) {
      extra.put<uint16_t>(zip::kZip64ExtraId);
      extra.put<uint16_t>(static_cast<uint16_t>(8 * (big_u + big_c + big_o)));
      if (big_u)
        extra.put<uint64_t>(e.uncompressed_size);
      if (big_c)
        extra.put<uint64_t>(e.compressed_size);
      if (big_o)
        extra.put<uint64_t>(e.local_offset);
    }
    const uint16_t version = extra.size() == 0 ? zip::kVersionDefault : zip::kVersionZip64;
    LeRecord<zip::kCentralHeaderSize> h;
    h.put<uint32_t>(zip::kCentralHeaderSig);
    h.put<uint16_t>(zip::kMadeByUnix | version);
    h.put<uint16_t>(version);
    h.put<uint16_t>(e.flags);
    h.put<uint16_t>(e.method);
    h.put<uint16_t>(zip::kDosTime);
    h.put<uint16_t>(zip::kDosDate);
    h.put<uint32_t>(e.crc);
    h.put<uint32_t>(clamp32(e.compressed_size, big_c));
    h.put<uint32_t>(clamp32(e.uncompressed_size, big_u));
    h.put<uint16_t>(e.name_size);
    h.put<uint16_t>(static_cast<uint16_t>(extra.size()));
    h.put<uint16_t>(0);              // comment
    h.put<uint16_t>(0);              // disk
    h.put<uint16_t>(0);              // internal attributes
    h.put<uint32_t>(0100644u << 16); // a regular file, rw-r--r--
    h.put<uint32_t>(clamp32(e.local_offset, big_o));
    cd += h.view();
    cd += entry_name(e);
    cd += extra.view();
  }
  const uint64_t count = entries_.size();
  const uint64_t cd_size = cd.size();
  const bool zip64 =
      force_zip64_ || count >= zip::kMax16 || cd_size >= zip::kMax32 || cd_offset >= zip::kMax32;
  if (zip64) {
    const uint64_t end64_offset = cd_offset + cd_size;
    sdk::append_le<uint32_t>(cd, zip::kZip64EndSig);
    sdk::append_le<uint64_t>(cd, zip::kZip64EndSize - 12); // size of the rest of the record
    sdk::append_le<uint16_t>(cd, zip::kMadeByUnix | zip::kVersionZip64);
    sdk::append_le<uint16_t>(cd, zip::kVersionZip64);
    sdk::append_le<uint32_t>(cd, 0); // this disk
    sdk::append_le<uint32_t>(cd, 0); // disk with the central directory
    sdk::append_le<uint64_t>(cd, count);
    sdk::append_le<uint64_t>(cd, count);
    sdk::append_le<uint64_t>(cd, cd_size);
    sdk::append_le<uint64_t>(cd, cd_offset);
    sdk::append_le<uint32_t>(cd, zip::kZip64LocatorSig);
    sdk::append_le<uint32_t>(cd, 0);
    sdk::append_le<uint64_t>(cd, end64_offset);
    sdk::append_le<uint32_t>(cd, 1); // total disks
  }
  sdk::append_le<uint32_t>(cd, zip::kEndOfCentralDirSig);
  sdk::append_le<uint16_t>(cd, 0);
  sdk::append_le<uint16_t>(cd, 0);
  sdk::append_le<uint16_t>(cd, zip64 ? zip::kMax16 : static_cast<uint16_t>(count));
  sdk::append_le<uint16_t>(cd, zip64 ? zip::kMax16 : static_cast<uint16_t>(count));
  sdk::append_le<uint32_t>(cd, clamp32(cd_size, zip64));
  sdk::append_le<uint32_t>(cd, clamp32(cd_offset, zip64));
  sdk::append_le<uint16_t>(cd, 0); // comment
  sink_.write(cd.data(), cd.size());
}

} // namespace weightio::zip
