// Byte builders for hostile files: safetensors files from a header text,
// .npy members, and ZIP archives whose every field can be overridden, so a
// test states exactly which lie it tells. Small files only: nothing here is
// committed, everything is built in the test.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace wrel {

inline void put_u16(std::string &s, uint16_t v) {
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>(v >> 8));
}
inline void put_u32(std::string &s, uint32_t v) {
  put_u16(s, static_cast<uint16_t>(v & 0xffff));
  put_u16(s, static_cast<uint16_t>(v >> 16));
}
inline void put_u64(std::string &s, uint64_t v) {
  put_u32(s, static_cast<uint32_t>(v & 0xffffffff));
  put_u32(s, static_cast<uint32_t>(v >> 32));
}

inline std::vector<uint8_t> bytes_of(const std::string &s) {
  return {s.begin(), s.end()};
}

// A safetensors file: the 8-byte length, the JSON text padded with spaces
// to a multiple of 8 (as the official writer does), then `data`.
inline std::vector<uint8_t> safetensors_file(std::string header, const std::string &data = {},
                                             std::optional<uint64_t> declared_length = {}) {
  while (header.size() % 8 != 0)
    header.push_back(' ');
  std::string out;
  put_u64(out, declared_length.value_or(header.size()));
  return bytes_of(out + header + data);
}

// An .npy member (format 1.0): magic, version, length, the dict padded so
// the data starts at a multiple of 64, then `data`.
inline std::string npy(const std::string &descr, const std::string &shape, const std::string &data,
                       size_t min_header = 0) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + dict.size() + 1;
  if (total < min_header)
    total = min_header;
  total = (total + 63) / 64 * 64;
  dict.append(total - 10 - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::string out = "\x93NUMPY\x01";
  out.push_back('\0');
  put_u16(out, static_cast<uint16_t>(dict.size()));
  return out + dict + data;
}

inline uint32_t crc32(const std::string &s) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k)
      c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// Raw deflate made of stored blocks: `payload` verbatim, whatever the
// member header claims it inflates to.
inline std::string deflate_stored(const std::string &payload) {
  std::string out;
  size_t off = 0;
  do {
    const size_t len = std::min<size_t>(payload.size() - off, 0xffff);
    const bool last = off + len == payload.size();
    out.push_back(last ? '\x01' : '\x00');
    put_u16(out, static_cast<uint16_t>(len));
    put_u16(out, static_cast<uint16_t>(~len));
    out.append(payload, off, len);
    off += len;
  } while (off < payload.size());
  return out;
}

struct ZipMember {
  std::string name;
  std::string data;     // as stored in the archive (already deflated if method 8)
  uint16_t method = 0;  // 0 stored, 8 deflate
  std::string inflated; // for method 8: what the CRC and size describe
  // Lies, when set, in both the local and the central header.
  std::optional<uint32_t> crc, compressed_size, uncompressed_size;
  std::optional<uint32_t> central_local_offset; // central directory only
};

inline ZipMember stored(std::string name, std::string data) {
  ZipMember m;
  m.name = std::move(name);
  m.data = std::move(data);
  return m;
}

inline ZipMember deflated(std::string name, std::string stream, std::string inflated) {
  ZipMember m = stored(std::move(name), std::move(stream));
  m.method = 8;
  m.inflated = std::move(inflated);
  return m;
}

struct ZipLies {
  std::optional<uint16_t> count;     // entries, in the end record
  std::optional<uint32_t> cd_size;   // central directory size
  std::optional<uint32_t> cd_offset; // central directory offset
};

inline std::vector<uint8_t> zip_file(const std::vector<ZipMember> &members,
                                     const ZipLies &lies = {}) {
  std::string out, cd;
  for (const auto &m : members) {
    const std::string &plain = m.method == 8 ? m.inflated : m.data;
    const uint32_t crc = m.crc.value_or(crc32(plain));
    const uint32_t csize = m.compressed_size.value_or(static_cast<uint32_t>(m.data.size()));
    const uint32_t usize = m.uncompressed_size.value_or(static_cast<uint32_t>(plain.size()));
    const uint32_t offset = static_cast<uint32_t>(out.size());
    auto common = [&](std::string &s) {
      put_u16(s, 20); // version needed
      put_u16(s, 0);  // flags
      put_u16(s, m.method);
      put_u16(s, 0);    // time
      put_u16(s, 0x21); // date
      put_u32(s, crc);
      put_u32(s, csize);
      put_u32(s, usize);
      put_u16(s, static_cast<uint16_t>(m.name.size()));
      put_u16(s, 0); // extra
    };
    put_u32(out, 0x04034b50);
    common(out);
    out += m.name + m.data;
    put_u32(cd, 0x02014b50);
    put_u16(cd, 20); // version made by
    common(cd);
    put_u16(cd, 0); // comment
    put_u16(cd, 0); // disk
    put_u16(cd, 0); // internal attributes
    put_u32(cd, 0); // external attributes
    put_u32(cd, m.central_local_offset.value_or(offset));
    cd += m.name;
  }
  const uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += cd;
  put_u32(out, 0x06054b50);
  put_u16(out, 0);
  put_u16(out, 0);
  const uint16_t n = lies.count.value_or(static_cast<uint16_t>(members.size()));
  put_u16(out, n);
  put_u16(out, n);
  put_u32(out, lies.cd_size.value_or(static_cast<uint32_t>(cd.size())));
  put_u32(out, lies.cd_offset.value_or(cd_offset));
  put_u16(out, 0);
  return bytes_of(out);
}

inline std::string floats(size_t n, float v = 1.0f) {
  std::string s(n * 4, '\0');
  for (size_t i = 0; i < n; ++i)
    std::memcpy(&s[i * 4], &v, 4);
  return s;
}

} // namespace wrel
