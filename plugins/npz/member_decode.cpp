#include "member_decode.hpp"

#include "../common/count_text.hpp"
#include "element_order.hpp"
#include "npz_error.hpp"
#include "zip/crc32.hpp"
#include "zip/deflate.hpp"

#include <weightio/decode_call.hpp>
#include <weightio/dtype_info.hpp>

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace weightio::npz {
using common::count_of;

namespace {

// Bytes inflated (and CRC'd while still in cache) per step.
constexpr uint64_t kChunk = uint64_t{1} << 20;
constexpr unsigned kHeaderShift = 35;

std::string hex32(uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

uint32_t crc_of(const uint8_t *p, uint64_t n) {
  zip::Crc32 crc;
  for (uint64_t off = 0; off < n; off += kChunk)
    crc.update(p + off, static_cast<size_t>(std::min(kChunk, n - off)));
  return crc.value();
}

unsigned element_size(int32_t dtype) {
  return sdk::dtype_info(dtype).bits / 8;
}

unsigned swap_unit(int32_t dtype) {
  const bool complex = dtype == WIO_DTYPE_C64 || dtype == WIO_DTYPE_C128;
  return complex ? element_size(dtype) / 2 : element_size(dtype);
}

[[noreturn]] void outside(const wio_decode_request &r) {
  sdk::fail(WIO_ERR_INTERNAL,
            "decode of " + sdk::quoted(sdk::view(r.name)) + ": not a member this reader emitted");
}

// src (C-order data or Fortran-order data) -> dest, little-endian, C order.
void convert(const MemberTag &tag, const wio_decode_request &r, const uint8_t *src, void *dest,
             uint64_t size) {
  if (tag.transpose)
    fortran_to_c_order(src, dest, std::vector<int64_t>(r.shape, r.shape + r.ndim),
                       element_size(r.dtype));
  else if (size != 0)
    std::memcpy(dest, src, static_cast<size_t>(size));
  if (tag.big_endian)
    byteswap_in_place(dest, size, swap_unit(r.dtype));
}

// Bytes of the member a part's CRC covers: its units, and the npy header
// before them for the part that starts the data.
uint64_t part_crc_bytes(const MemberTag &tag, const wio_check_part &p, uint64_t unit) {
  return p.unit_count * unit + (p.first_unit == 0 ? tag.header_bytes : 0);
}

// A split check's part: the CRC-32 of its bytes, combined by finish_crc.
void part_crc(const MemberTag &tag, const wio_decode_request &r, wio_check_part &p) {
  const uint64_t unit = r.source_unit_bytes;
  if (unit == 0 || p.first_unit > r.nbytes / unit || p.unit_count > r.nbytes / unit - p.first_unit)
    outside(r);
  const uint64_t from =
      p.first_unit == 0 ? r.offset - tag.header_bytes : r.offset + p.first_unit * unit;
  p.result = crc_of(r.data + from, part_crc_bytes(tag, p, unit));
}

// A split check's last call: the parts' CRCs combined into the member's,
// which is then what the whole-member check would have computed.
void finish_crc(const MemberTag &tag, const wio_decode_request &r, const sdk::DecodeCall &call) {
  const uint64_t unit = r.source_unit_bytes;
  uint64_t next = 0;
  uLong crc = 0;
  for (size_t i = 0; i < call.check_part_count(); ++i) {
    const wio_check_part &p = call.check_parts()[i];
    if (unit == 0 || p.first_unit != next || p.result > UINT32_MAX)
      outside(r);
    const uint64_t bytes = part_crc_bytes(tag, p, unit);
    crc = i == 0 ? static_cast<uLong>(p.result)
                 : crc32_combine(crc, static_cast<uLong>(p.result), static_cast<z_off_t>(bytes));
    next += p.unit_count;
  }
  if (call.check_part_count() == 0 || next * unit != r.nbytes)
    outside(r);
  if (crc != tag.crc)
    crc_mismatch(tag.crc, static_cast<uint32_t>(crc));
}

// The whole member's CRC, npy header included, as the archive records it.
void whole_crc(const MemberTag &tag, const wio_decode_request &r) {
  const uint32_t crc = crc_of(r.data + r.offset - tag.header_bytes, tag.header_bytes + r.nbytes);
  if (crc != tag.crc)
    crc_mismatch(tag.crc, crc);
}

void decode_stored(const MemberTag &tag, const wio_decode_request &r) {
  if (r.offset < tag.header_bytes || r.offset > r.size || r.nbytes > r.size - r.offset)
    outside(r);
  const sdk::DecodeCall call(r);
  switch (call.kind()) {
  case sdk::DecodeKind::finish_check:
    return finish_crc(tag, r, call);
  case sdk::DecodeKind::check_part:
    return part_crc(tag, r, *call.check_part());
  case sdk::DecodeKind::check:
    return whole_crc(tag, r);
  case sdk::DecodeKind::decode:
    // A host with split checks hands each part its share of the CRC, so one
    // large member's CRC uses every thread; otherwise a tensor split across
    // threads checks it once, with its first part.
    if (call.check_part() != nullptr)
      part_crc(tag, r, *call.check_part());
    else if (call.first_unit() == 0)
      whole_crc(tag, r);
    break;
  }
  const uint64_t at = call.dest_offset();
  if (at > r.nbytes || call.dest_size() > r.nbytes - at)
    outside(r);
  convert(tag, r, r.data + r.offset + at, call.dest(), call.dest_size());
}

void decode_deflated(const MemberTag &tag, const wio_decode_request &r) {
  // The reader emits a deflated member as one whole DECODE unit.
  if (sdk::DecodeCall(r).kind() != sdk::DecodeKind::decode || r.unit_bytes != 0 ||
      r.dest_size != r.nbytes || r.offset > r.size || r.source_size > r.size - r.offset)
    outside(r);
  const uint64_t declared = tag.header_bytes + r.nbytes;
  zip::Inflater inf(r.data + r.offset, r.source_size);
  zip::Crc32 crc;
  // The header again (the reader parsed it), for the CRC.
  std::vector<uint8_t> scratch(static_cast<size_t>(std::min(kChunk, tag.header_bytes)));
  for (uint64_t off = 0; off < tag.header_bytes;) {
    const uint64_t want = std::min<uint64_t>(scratch.size(), tag.header_bytes - off);
    const uint64_t got = inf.read(scratch.data(), want);
    crc.update(scratch.data(), static_cast<size_t>(got));
    off += got;
    if (got != want)
      short_stream(off, declared);
  }
  // Fortran order inflates into a scratch copy first, then transposes.
  std::vector<uint8_t> fortran;
  uint8_t *out = static_cast<uint8_t *>(r.dest);
  if (tag.transpose) {
    fortran.resize(static_cast<size_t>(r.nbytes));
    out = fortran.data();
  }
  for (uint64_t off = 0; off < r.nbytes; off += kChunk) {
    const uint64_t want = std::min(kChunk, r.nbytes - off);
    const uint64_t got = inf.read(out + off, want);
    crc.update(out + off, static_cast<size_t>(got));
    if (got != want)
      short_stream(tag.header_bytes + off + got, declared);
  }
  if (!inf.at_end())
    refuse(NpzError::inflated_size, "inflates to more than its declared size of " +
                                        count_of(declared, "byte") + "; stopped there");
  if (crc.value() != tag.crc)
    crc_mismatch(tag.crc, crc.value());
  if (tag.transpose)
    convert(tag, r, fortran.data(), r.dest, r.nbytes);
  else if (tag.big_endian)
    byteswap_in_place(r.dest, r.nbytes, swap_unit(r.dtype));
}

} // namespace

std::optional<uint64_t> pack_tag(const MemberTag &tag) {
  if (tag.header_bytes >= (uint64_t{1} << (64 - kHeaderShift)))
    return std::nullopt;
  return uint64_t{tag.crc} | uint64_t{tag.deflated} << 32 | uint64_t{tag.big_endian} << 33 |
         uint64_t{tag.transpose} << 34 | tag.header_bytes << kHeaderShift;
}

MemberTag unpack_tag(uint64_t bits) {
  MemberTag t;
  t.crc = static_cast<uint32_t>(bits);
  t.deflated = (bits >> 32) & 1;
  t.big_endian = (bits >> 33) & 1;
  t.transpose = (bits >> 34) & 1;
  t.header_bytes = bits >> kHeaderShift;
  return t;
}

void crc_mismatch(uint32_t recorded, uint32_t computed) {
  refuse(NpzError::crc_mismatch, "the archive records " + hex32(recorded) + ", the data gives " +
                                     hex32(computed) + " (corrupt member)");
}

void short_stream(uint64_t got, uint64_t declared) {
  refuse(NpzError::inflated_size, "inflates to " + count_of(got, "byte") +
                                      ", less than its declared " + std::to_string(declared));
}

void decode_member(const wio_decode_request &r) {
  const MemberTag tag = unpack_tag(r.decode_tag);
  try {
    if (tag.deflated)
      decode_deflated(tag, r);
    else
      decode_stored(tag, r);
  } catch (const sdk::Failure &f) {
    // Worded as the reader words a member's failure.
    sdk::fail(f.status(),
              "member " + sdk::quoted(std::string(sdk::view(r.name)) + ".npy") + ": " + f.what());
  }
}

} // namespace weightio::npz
