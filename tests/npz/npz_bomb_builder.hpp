// Deflate bombs for the npz tests, written to a file as they are built: a
// member that inflates to gigabytes of zeros from a few megabytes, with
// sizes (and so CRCs) that tell the truth or lie, as the test says.
//
// The stream is zlib's own deflate output, repeated: the npy header and then
// 1 MiB of zeros are each deflated by a fresh compressor and ended with a
// full flush (byte-aligned, no reference to earlier data), so one 1 MiB
// segment (about 1 KiB) can be written N times for N MiB of zeros, and the
// stream ends with an empty final block. The CRC of N MiB of zeros comes
// from zlib's crc32_combine, never from inflating anything.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace npzbomb {

inline void put16(std::string &s, uint16_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>(v >> 8));
}
inline void put32(std::string &s, uint32_t v) {
  put16(s, static_cast<uint16_t>(v & 0xffff));
  put16(s, static_cast<uint16_t>(v >> 16));
}
inline void put64(std::string &s, uint64_t v) {
  put32(s, static_cast<uint32_t>(v & 0xffffffff));
  put32(s, static_cast<uint32_t>(v >> 32));
}

// An npy 1.0 header for a 1-D '|u1' array of `n` elements, padded to 64.
inline std::string npy_header_u8(uint64_t n) {
  std::string dict =
      "{'descr': '|u1', 'fortran_order': False, 'shape': (" + std::to_string(n) + ",), }";
  const size_t total = (10 + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::string out = "\x93NUMPY\x01";
  out.push_back('\0');
  put16(out, static_cast<uint16_t>(dict.size()));
  return out + dict;
}

// `in` deflated by a fresh compressor, ended by a full flush (not final).
inline std::string deflate_segment(const std::string &in) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef *>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int r = deflate(&zs, Z_FULL_FLUSH);
  const size_t n = out.size() - zs.avail_out;
  deflateEnd(&zs);
  if (r != Z_OK || zs.avail_in != 0)
    throw std::runtime_error("deflate failed");
  out.resize(n);
  return out;
}

// An empty fixed-Huffman block with BFINAL set: the stream's end.
inline const std::string kFinalBlock("\x03\x00", 2);

// CRC-32 of `n` zero bytes, by squaring: log2(n) crc32_combine calls.
inline uint32_t crc_of_zeros(uint64_t n) {
  const std::vector<uint8_t> one(1, 0);
  uint32_t acc = 0; // CRC of the empty string
  uint32_t pow = crc32(0, one.data(), 1);
  uint64_t pow_len = 1;
  while (n != 0) {
    if (n & 1)
      acc = crc32_combine(acc, pow, static_cast<z_off_t>(pow_len));
    pow = crc32_combine(pow, pow, static_cast<z_off_t>(pow_len));
    pow_len *= 2;
    n >>= 1;
  }
  return acc;
}

struct Bomb {
  std::string name = "bomb.npy";
  uint64_t zeros_mib = 0; // MiB of zeros the stream inflates to after the header
  // The npy header's element count; default: what the stream holds.
  std::optional<uint64_t> header_elements;
  // The size the ZIP headers declare; default: what the stream inflates to.
  std::optional<uint64_t> declared_size;
};

struct Built {
  uint64_t compressed_size = 0;
  uint64_t inflated_size = 0; // what the stream really inflates to
  uint64_t declared_size = 0;
};

// Writes an archive holding first a stored "small.npy" (four zero bytes),
// then the bomb. Both ZIP headers carry ZIP64 sizes when either is 4 GiB or
// more. The CRC is that of what the declared size covers: header then zeros.
inline Built write_bomb(const std::filesystem::path &path, const Bomb &b) {
  const uint64_t zeros = b.zeros_mib << 20;
  const std::string header = npy_header_u8(b.header_elements.value_or(zeros));
  const std::string head_seg = deflate_segment(header);
  const std::string zero_seg = deflate_segment(std::string(size_t{1} << 20, '\0'));
  Built out;
  out.compressed_size = head_seg.size() + b.zeros_mib * zero_seg.size() + kFinalBlock.size();
  out.inflated_size = header.size() + zeros;
  out.declared_size = b.declared_size.value_or(out.inflated_size);
  const uint64_t declared_zeros =
      out.declared_size > header.size() ? out.declared_size - header.size() : 0;
  uint32_t crc = crc32(0, reinterpret_cast<const Bytef *>(header.data()),
                       static_cast<uInt>(std::min<uint64_t>(header.size(), out.declared_size)));
  crc = crc32_combine(crc, crc_of_zeros(declared_zeros), static_cast<z_off_t>(declared_zeros));

  const std::string small = npy_header_u8(4) + std::string(4, '\0');
  struct Member {
    std::string name;
    uint16_t method;
    uint32_t crc;
    uint64_t csize, usize, offset;
  };
  const std::vector<Member> members = {
      {"small.npy", 0,
       static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef *>(small.data()),
                                   static_cast<uInt>(small.size()))),
       small.size(), small.size(), 0},
      {b.name, 8, crc, out.compressed_size, out.declared_size, 0}};

  auto fields = [](const Member &m, bool central, uint64_t offset) {
    const bool big = m.csize >= 0xffffffffu || m.usize >= 0xffffffffu;
    std::string extra;
    if (big) {
      put16(extra, 1);
      put16(extra, 16);
      put64(extra, m.usize);
      put64(extra, m.csize);
    }
    std::string s;
    put32(s, central ? 0x02014b50 : 0x04034b50);
    if (central)
      put16(s, 45); // made by
    put16(s, 45);   // needed
    put16(s, 0);    // flags
    put16(s, m.method);
    put16(s, 0);    // time
    put16(s, 0x21); // date
    put32(s, m.crc);
    put32(s, big ? 0xffffffffu : static_cast<uint32_t>(m.csize));
    put32(s, big ? 0xffffffffu : static_cast<uint32_t>(m.usize));
    put16(s, static_cast<uint16_t>(m.name.size()));
    put16(s, static_cast<uint16_t>(extra.size()));
    if (central) {
      put16(s, 0); // comment
      put16(s, 0); // disk
      put16(s, 0); // internal attributes
      put32(s, 0); // external attributes
      put32(s, static_cast<uint32_t>(offset));
    }
    return s + m.name + extra;
  };

  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  std::vector<uint64_t> offsets;
  uint64_t pos = 0;
  auto write = [&](const std::string &s) {
    f.write(s.data(), static_cast<std::streamsize>(s.size()));
    pos += s.size();
  };
  offsets.push_back(pos);
  write(fields(members[0], false, 0));
  write(small);
  offsets.push_back(pos);
  write(fields(members[1], false, 0));
  write(head_seg);
  for (uint64_t i = 0; i < b.zeros_mib; ++i)
    write(zero_seg);
  write(kFinalBlock);
  const uint64_t cd_offset = pos;
  std::string cd;
  for (size_t i = 0; i < members.size(); ++i)
    cd += fields(members[i], true, offsets[i]);
  write(cd);
  std::string end;
  put32(end, 0x06054b50);
  put16(end, 0);
  put16(end, 0);
  put16(end, 2);
  put16(end, 2);
  put32(end, static_cast<uint32_t>(cd.size()));
  put32(end, static_cast<uint32_t>(cd_offset));
  put16(end, 0);
  write(end);
  if (!f)
    throw std::runtime_error("cannot write " + path.string());
  return out;
}

} // namespace npzbomb
