// Reads and validates a safetensors header exactly as far as the official
// reader does (same checks, same order), plus the spec's ban on duplicate
// keys. Throws sdk::Failure(WIO_ERR_INVALID_FILE) with a message that starts
// with the phrase docs/safetensors.md maps to the official error kind.
#pragma once

#include <cstdint>
#include <span>
#include <string>
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

struct TensorEntry {
  std::string name;
  int32_t dtype = 0;
  uint64_t begin = 0; // data_offsets, relative to the end of the header
  uint64_t end = 0;
  size_t shape_pos = 0; // first extent in ParsedHeader::extents
  uint32_t ndim = 0;
};

struct ParsedHeader {
  uint64_t header_len = 0; // N, the JSON text with its padding
  uint64_t data_start = 0; // 8 + N
  // Sorted by data_offsets (ties keep header order), which after validation
  // is the order of the data in the file.
  std::vector<TensorEntry> tensors;
  std::vector<int64_t> extents;                              // every tensor's shape, concatenated
  std::vector<std::pair<std::string, std::string>> metadata; // header order
};

// `file` is the whole input.
ParsedHeader parse_header(std::span<const uint8_t> file, const ParseLimits &limits);

// A tensor name as it appears in messages: JSON-quoted, so control
// characters and an empty name stay visible.
std::string display_name(std::string_view name);

} // namespace weightio::safetensors
