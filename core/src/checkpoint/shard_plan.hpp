// Which tensors go to which shard: huggingface_hub's
// split_state_dict_into_shards_factory rule.
#pragma once

#include <weightio/params.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weightio::detail {

struct ShardPlan {
  // Indices into the params' insertion order, one list per shard, in shard
  // order. Empty when there are no tensors.
  std::vector<std::vector<size_t>> shards;
  uint64_t total_size = 0; // the sum of every tensor's bytes
};

// Tensors are taken in insertion order. One that would tip the open shard
// over `max_bytes` closes it and opens a new one; one larger than
// `max_bytes` gets a shard of its own, appended when it is met while the open
// shard keeps filling (so it may be numbered before tensors saved earlier).
// `max_bytes` 0 means no limit: one shard.
ShardPlan plan_shards(const FlatParams &params, uint64_t max_bytes);

} // namespace weightio::detail
