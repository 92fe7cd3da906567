// The pickle machine's limits: the host's generic ones (wio_read_limits'
// max_ndim) and the format's own, which are its declared load options
// (read_options.hpp). Every limit is checked before the memory it guards is
// allocated, so a bomb costs bounded time and memory. 0 = no limit.
#pragma once

#include <cstdint>

namespace weightio::pytorch {

struct PickleLimits {
  // data.pkl's size (zip), or the bytes the legacy format's pickles span.
  uint64_t max_pickle_bytes = uint64_t{256} << 20;
  // Nodes the machine builds: each is about 50 bytes, so the default bounds
  // the machine's memory near 200 MiB whatever the file says.
  uint64_t max_pickle_objects = uint64_t{1} << 22;
  uint64_t max_memo_entries = uint64_t{1} << 22;
  // Values and MARKs on the stack at once. torch's pickles batch 1000 items
  // per APPENDS / SETITEMS, so legitimate depth is a few thousand.
  uint64_t max_stack_depth = uint64_t{1} << 16;
  // Containers inside containers. A state dict nests 2 or 3 deep, a
  // training checkpoint rarely 10.
  uint64_t max_nesting = 256;
  // One string, bytes object or GLOBAL name.
  uint64_t max_string_bytes = uint64_t{64} << 20;
  // Dimensions of a tensor (wio_read_limits.max_ndim).
  uint32_t max_ndim = 0;
};

} // namespace weightio::pytorch
