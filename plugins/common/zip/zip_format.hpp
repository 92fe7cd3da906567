// ZIP record signatures and constants shared by the reader and the writer
// (PKWARE APPNOTE 6.3.x, sections 4.3 and 4.5).
#pragma once

#include <cstdint>

namespace weightio::zip {

inline constexpr uint32_t kLocalHeaderSig = 0x04034b50;
inline constexpr uint32_t kCentralHeaderSig = 0x02014b50;
inline constexpr uint32_t kEndOfCentralDirSig = 0x06054b50;
inline constexpr uint32_t kZip64EndSig = 0x06064b50;
inline constexpr uint32_t kZip64LocatorSig = 0x07064b50;

inline constexpr uint32_t kLocalHeaderSize = 30;
inline constexpr uint32_t kCentralHeaderSize = 46;
inline constexpr uint32_t kEndOfCentralDirSize = 22;
inline constexpr uint32_t kZip64EndSize = 56;
inline constexpr uint32_t kZip64LocatorSize = 20;

inline constexpr uint16_t kZip64ExtraId = 0x0001;
// Android zipalign's padding record: a 2-byte alignment, then zeros. Readers
// skip extra records they do not know, so the padding is invisible to them.
inline constexpr uint16_t kAlignExtraId = 0xD935;

inline constexpr uint16_t kMethodStored = 0;
inline constexpr uint16_t kMethodDeflate = 8;

inline constexpr uint16_t kFlagEncrypted = 1u << 0;
inline constexpr uint16_t kFlagDataDescriptor = 1u << 3;
inline constexpr uint16_t kFlagUtf8 = 1u << 11;

// "Version needed to extract": 2.0 for deflate, 4.5 for ZIP64.
inline constexpr uint16_t kVersionDefault = 20;
inline constexpr uint16_t kVersionZip64 = 45;
// "Version made by": high byte 3 = Unix, so unzip honours external_attr.
inline constexpr uint16_t kMadeByUnix = 3u << 8;

inline constexpr uint32_t kMax32 = 0xFFFFFFFFu;
inline constexpr uint16_t kMax16 = 0xFFFFu;

// The fixed MS-DOS timestamp of every member: 1980-01-01 00:00:00, the
// earliest DOS date and Python zipfile's ZipInfo default. A fixed time makes
// the same weights give the same bytes.
inline constexpr uint16_t kDosTime = 0;
inline constexpr uint16_t kDosDate = (0u << 9) | (1u << 5) | 1u;

// Where the stored data of each member starts, in bytes from the start of the
// file: a cache line, and a multiple of every dtype's alignment.
inline constexpr uint64_t kDataAlignment = 64;

} // namespace weightio::zip
