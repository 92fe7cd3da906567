// Memory for large copies (allocate_aligned of 2 MiB and more): what a load
// copies into when it cannot hand out views of the file.
//
// Why: on this kind of VM, first-touch faults on fresh anonymous memory run
// at 0.3 GB/s, and a copy paid them on every load (docs/PERFORMANCE.md,
// "Memory for copies"). So large buffers are
// - 2 MiB-aligned mappings with MADV_HUGEPAGE: the kernel backs them with
//   huge pages where it can (one fault per 2 MiB). Where madvise is refused
//   (no transparent huge pages, a sandbox) they stay ordinary mappings: the
//   same bytes, slower first touch;
// - kept for reuse once released, within the process, up to a cap
//   (set_buffer_cache_limit in tensor.hpp; default 1/8 of RAM, at most 1
//   GiB). A buffer is reused only for a request of the same size rounded up
//   to 2 MiB, so the memory a tensor holds is what it asked for plus less
//   than 2 MiB. Released buffers past the cap go back to the kernel.
// Thread-safe.
#pragma once

#include <sys/mman.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace weightio::detail {

// Requests from this size on come from the pool; smaller ones from the heap.
inline constexpr uint64_t kLargeBuffer = uint64_t{2} << 20;

// A buffer of at least `size` bytes (size >= kLargeBuffer), 2 MiB-aligned,
// uninitialised (a reused one holds old bytes). Throws std::bad_alloc.
std::shared_ptr<void> allocate_large(uint64_t size);

// Bytes of released buffers held for reuse now.
uint64_t buffer_cache_bytes();

// The system calls the pool makes; tests replace them to make them fail.
struct PoolSyscalls {
  void *(*mmap)(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
  int (*madvise)(void *addr, size_t length, int advice);
  int (*munmap)(void *addr, size_t length);
};
// Installs `calls` and returns the previous ones.
PoolSyscalls set_pool_syscalls(PoolSyscalls calls);

} // namespace weightio::detail
