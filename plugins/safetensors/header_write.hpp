// Builds the header bytes the official writer would produce for a given
// tensor layout: compact JSON, "__metadata__" first, tensors in data order,
// spaces up to a multiple of 8.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weightio::safetensors {

struct HeaderTensor {
  std::string_view name;
  int32_t dtype = 0;
  std::span<const int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

using MetadataEntry = std::pair<std::string_view, std::string_view>;

// `tensors` in data order, `metadata` sorted by key (bytewise); both are
// already checked: valid UTF-8, no duplicates. Returns the JSON text padded
// with spaces to a multiple of 8 (without the 8-byte length in front).
std::string build_header(std::span<const HeaderTensor> tensors,
                         std::span<const MetadataEntry> metadata);

} // namespace weightio::safetensors
