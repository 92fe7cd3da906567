// Memory for copies: the cache of large buffers behind allocate_aligned
// (tensor.hpp), which loads copy into when they cannot hand out views.
//
// Requests of 2 MiB and more (with an alignment of at most 2 MiB) get
// 2 MiB-aligned anonymous mappings advised to use transparent huge pages
// (plain pages where the kernel or a sandbox refuses), rounded up to a
// multiple of 2 MiB. Once released, such a buffer is kept for a later
// request of the same rounded size, so repeated loads in one process do not
// pay first-touch page faults again; what is kept is bounded by the cap
// below. Smaller requests come from the heap, at least 64-byte aligned.
#pragma once

#include <cstdint>

namespace weightio {

// Sets the most bytes of released large buffers the process keeps for
// reuse (default: 1/8 of physical memory, at most 1 GiB). Lowering it gives
// the excess back to the kernel at once; 0 keeps nothing. Returns the
// previous cap. Thread-safe; never throws.
uint64_t set_buffer_cache_limit(uint64_t bytes);

} // namespace weightio
