// A member's work handed to the host's threads (WIO_READ_DEFER): the reader
// parses each npy header and describes the rest of the work in the tensor's
// decode tag; decode_member does it (CRC-32 check, inflation, byte swap,
// Fortran-to-C order) on whatever thread the host chooses.
#pragma once

#include <weightio/plugin_abi.h>

#include <cstdint>
#include <optional>

namespace weightio::npz {

struct MemberTag {
  uint32_t crc = 0;        // what the archive records for the whole member
  bool deflated = false;   // the source is the member's raw deflate stream
  bool big_endian = false; // swap each element after copying
  bool transpose = false;  // Fortran order to C order
  // The npy preamble and header, before the data: in the file for a stored
  // member (they end at the tensor's offset), in the stream for a deflated one.
  uint64_t header_bytes = 0;
};

// nullopt when header_bytes does not fit (the reader then does the work itself).
std::optional<uint64_t> pack_tag(const MemberTag &tag);
MemberTag unpack_tag(uint64_t bits);

// The CRC-32 mismatch error, worded the same wherever it is found.
[[noreturn]] void crc_mismatch(uint32_t recorded, uint32_t computed);

// "inflates to N bytes, less than its declared M".
[[noreturn]] void short_stream(uint64_t got, uint64_t declared);

// The format's decode: a stored member's check (a WIO_STORAGE_CHECKED
// tensor, whole or split), or a member's bytes into the host's buffer (see
// sdk::DecodeKind). Throws sdk::Failure naming the member.
void decode_member(const wio_decode_request &request);

} // namespace weightio::npz
