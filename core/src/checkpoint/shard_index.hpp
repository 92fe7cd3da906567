// The index of a sharded checkpoint (`model.safetensors.index.json`):
// {"metadata": {"total_size": N, ...}, "weight_map": {tensor: shard file}}.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weightio::detail {

// The bytes transformers writes for this index:
// json.dumps(index, indent=2, sort_keys=True) + "\n" (keys sorted by code
// point, non-ASCII escaped as \uXXXX, surrogate pairs beyond the BMP).
// Throws Error(InvalidArgument) naming the tensor when a name is not valid
// UTF-8 (a JSON file can't hold it).
std::string index_json(uint64_t total_size,
                       const std::vector<std::pair<std::string, std::string>> &weight_map);

struct ShardIndex {
  // Tensor -> shard file, sorted by tensor name.
  std::vector<std::pair<std::string, std::string>> weight_map;
  // Every key of "metadata", in key order; strings as they are, other values
  // as compact JSON text.
  std::vector<std::pair<std::string, std::string>> metadata;
  std::optional<uint64_t> total_size; // when metadata.total_size is a non-negative integer
};

// Parses and checks an index: valid JSON, an object, "weight_map" an object
// of strings naming plain files in the index's folder (no '/', "..", NUL;
// every offending name listed), not empty; "metadata", if present, an
// object. Accepts transformers' and MLX-LM's layouts alike. Throws
// FormatError naming `file`.
ShardIndex parse_index(std::string_view text, const std::string &file);

} // namespace weightio::detail
