// Self-describing shard sets (WIO_CAP_SPLIT_KEYS), as llama.cpp's gguf-split
// writes GGUF: shard i of N holds split.no = i - 1 (UINT16), split.count = N
// (UINT16) and split.tensors.count (INT32, the set's tensors); the first
// shard also holds the checkpoint's metadata. No index file.
#pragma once

#include <weightio/metadata.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::detail {

inline constexpr size_t kMaxSplitShards = UINT16_MAX;
inline constexpr size_t kMaxSplitTensors = INT32_MAX;

// One of split.no, split.count, split.tensors.count.
bool is_split_key(std::string_view key);

// The metadata of shard `index` (from 0) of `count`: the checkpoint's own
// (first shard only) with any split keys in it replaced, then the three keys.
Metadata split_shard_metadata(const Metadata &checkpoint, size_t index, size_t count,
                              size_t tensors);

// What a shard's split keys say; `problem` is empty when all three are there
// with their types and in range, else says which is missing or wrong.
struct SplitKeys {
  uint64_t no = 0, count = 0, tensors = 0;
  std::string problem;
};
SplitKeys read_split_keys(const Metadata &shard);

// The checkpoint's metadata: the shard's without the split keys.
Metadata without_split_keys(const Metadata &shard);

} // namespace weightio::detail
