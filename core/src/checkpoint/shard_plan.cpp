#include "checkpoint/shard_plan.hpp"

namespace weightio::detail {

ShardPlan plan_shards(const FlatParams &params, uint64_t max_bytes) {
  ShardPlan plan;
  std::vector<size_t> open;
  uint64_t open_bytes = 0;
  size_t i = 0;
  for (const auto &[name, view] : params) {
    const uint64_t size = view.nbytes();
    plan.total_size += size;
    if (max_bytes != 0 && size > max_bytes) {
      plan.shards.push_back({i++});
      continue;
    }
    if (max_bytes != 0 && open_bytes + size > max_bytes) {
      plan.shards.push_back(std::move(open));
      open.clear();
      open_bytes = 0;
    }
    open.push_back(i++);
    open_bytes += size;
  }
  if (!open.empty())
    plan.shards.push_back(std::move(open));
  return plan;
}

} // namespace weightio::detail
