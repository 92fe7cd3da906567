// What a GGUF file holds, as a plain C++ structure: the header, the typed
// metadata in file order, and the tensor infos (with the geometry of their
// ggml type). Format constants shared by the parser and the writer.
#pragma once

#include "ggml/ggml_types.hpp"
#include "gguf_value.hpp"
#include <weightio/byte_io.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace weightio::gguf {

inline constexpr uint8_t kMagic[4] = {'G', 'G', 'U', 'F'};
inline constexpr uint32_t kDefaultAlignment = 32; // when general.alignment is absent
inline constexpr std::string_view kAlignmentKey = "general.alignment";
inline constexpr uint32_t kMaxDims = 4;
// ggml's GGML_MAX_NAME is 64 including the terminating NUL, so its reader
// takes names of at most 63 bytes; the spec says "at most 64 bytes". The
// reader follows the spec, the writer ggml (so ggml can read what it writes).
inline constexpr uint64_t kMaxReadNameBytes = 64;
inline constexpr uint64_t kMaxWriteNameBytes = 63;
inline constexpr uint64_t kMaxKeyBytes = 65535; // the spec's limit on keys

struct TensorInfo {
  std::string name;
  std::vector<uint64_t> ne;    // dimensions as stored: innermost first
  std::vector<uint64_t> shape; // row-major, outermost first: ne reversed
  const ggml::TypeInfo *type = nullptr;
  uint64_t offset = 0; // relative to the data section
  uint64_t n_elements = 0;
  uint64_t nbytes = 0;
};

struct File {
  uint32_t version = 3;
  // Big-endian files (gguf-py's GGUFWriter(endianess=BIG)) store the header
  // numbers, the metadata and the plain tensors' elements big-endian; their
  // quantized blocks are little-endian as everywhere. Metadata here is
  // always in host terms (Value::bits, little-endian packed arrays).
  sdk::ByteOrder byte_order = sdk::ByteOrder::little;
  uint32_t alignment = kDefaultAlignment;
  uint64_t data_offset = 0; // absolute file offset of the data section
  uint64_t file_size = 0;
  Metadata metadata;               // file order
  std::vector<TensorInfo> tensors; // file order
};

// Why a file is refused: a closed set of kinds, and one formatter (message())
// that words each, so every refusal of a kind reads alike. `kind` lets a
// plugin or a test tell them apart.
class FormatError : public std::runtime_error {
public:
  enum class Kind {
    not_gguf,    // no GGUF magic: "not a GGUF file: <what is there>"
    unsupported, // a GGUF version this reader does not read: the version
    invalid,     // anything else (truncated, out of range, inconsistent):
                 // "<field>: <reason>" or "truncated: <field>: <reason>"
  };
  FormatError(Kind kind, const std::string &detail)
      : std::runtime_error(message(kind, detail)), kind_(kind) {}
  // `detail` for not_gguf is what the file starts with, for unsupported the
  // version number, for invalid the whole message.
  static std::string message(Kind kind, const std::string &detail) {
    switch (kind) {
    case Kind::not_gguf:
      return "not a GGUF file: " + detail + ", expected magic 'GGUF'";
    case Kind::unsupported:
      if (detail == "1")
        return "GGUF version 1 is not supported (its counts are 32-bit; this reader reads "
               "versions 2 and 3)";
      return "unsupported GGUF version " + detail + " (this reader reads versions 2 and 3)";
    case Kind::invalid:
      break;
    }
    return detail;
  }
  Kind kind() const noexcept { return kind_; }

private:
  Kind kind_;
};

// The round-up of `n` to a multiple of `alignment` (a power of two), or
// false if it does not fit in 64 bits.
inline bool align_up(uint64_t n, uint64_t alignment, uint64_t &out) noexcept {
  const uint64_t mask = alignment - 1;
  if (n > UINT64_MAX - mask)
    return false;
  out = (n + mask) & ~mask;
  return true;
}

inline bool is_power_of_two(uint64_t v) noexcept {
  return v != 0 && (v & (v - 1)) == 0;
}

} // namespace weightio::gguf
