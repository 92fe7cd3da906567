// Reads and validates a safetensors header exactly as far as the official
// reader does (same checks, same order), plus the spec's ban on duplicate
// keys. Throws sdk::Failure(WIO_ERR_INVALID_FILE) with a message that starts
// with the phrase docs/safetensors.md maps to the official error kind.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weightio::safetensors {

// The official reader refuses longer headers; the writer never makes them.
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct ParseLimits {
  uint64_t max_header_bytes = 0; // 0 = only kMaxHeaderBytes
  uint64_t max_tensors = 0;      // 0 = no limit
  uint32_t max_ndim = 0;
  uint64_t max_name_bytes = 0;
};

// 40 bytes: a header of a million tensors is read into ~50 MB. Positions
// into the header's names and extents fit 32 bits (kMaxHeaderBytes).
struct TensorEntry {
  // The name is ParsedHeader::names[name_pos, name_pos + name_size): one
  // buffer for all names rather than a string each.
  uint32_t name_pos = 0;
  uint32_t name_size = 0;
  int32_t dtype = 0;
  uint32_t ndim = 0;
  uint64_t begin = 0; // data_offsets, relative to the end of the header
  uint64_t end = 0;
  uint32_t shape_pos = 0; // first extent in ParsedHeader::extents
};
static_assert(kMaxHeaderBytes < (uint64_t{1} << 32));

struct ParsedHeader {
  uint64_t header_len = 0; // N, the JSON text with its padding
  uint64_t data_start = 0; // 8 + N
  // Sorted by data_offsets (ties keep header order), which after validation
  // is the order of the data in the file.
  std::vector<TensorEntry> tensors;
  std::string names; // every tensor's name, concatenated
  // Every tensor's shape, concatenated. Validated to fit int64_t, as whose
  // unsigned counterpart they may be read (extents_i64()).
  std::vector<uint64_t> extents;
  std::vector<std::pair<std::string, std::string>> metadata; // header order

  const int64_t *extents_i64() const {
    // Signed and unsigned variants of one type may alias ([basic.lval]).
    return reinterpret_cast<const int64_t *>(extents.data());
  }
  std::string_view name(const TensorEntry &t) const {
    return std::string_view(names).substr(t.name_pos, t.name_size);
  }
};

// `file` is the whole input.
ParsedHeader parse_header(std::span<const uint8_t> file, const ParseLimits &limits);

} // namespace weightio::safetensors
