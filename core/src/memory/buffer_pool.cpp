#include "memory/buffer_pool.hpp"

#include <weightio/memory.hpp>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <new>
#include <utility>

namespace weightio::detail {
namespace {

uint64_t default_limit() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  const uint64_t ram = pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
  return std::min<uint64_t>(uint64_t{1} << 30, ram / 8);
}

class Pool {
public:
  std::shared_ptr<void> allocate(uint64_t size) {
    const uint64_t capacity = (size + kLargeBuffer - 1) / kLargeBuffer * kLargeBuffer;
    if (capacity < size || capacity > SIZE_MAX - kLargeBuffer)
      throw std::bad_alloc();
    PoolSyscalls calls;
    {
      std::lock_guard lock(mutex_);
      if (auto it = free_.find(capacity); it != free_.end()) {
        void *p = it->second;
        free_.erase(it);
        cached_ -= capacity;
        return wrap(p, capacity);
      }
      calls = calls_;
    }
    // Over-map by one alignment unit and trim, for a 2 MiB-aligned start:
    // the kernel can then back every whole 2 MiB of it with a huge page.
    const size_t mapped = static_cast<size_t>(capacity + kLargeBuffer);
    void *raw =
        calls.mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
      throw std::bad_alloc();
    const auto base = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t start = (base + kLargeBuffer - 1) / kLargeBuffer * kLargeBuffer;
    const size_t head = start - base, tail = static_cast<size_t>(kLargeBuffer) - head;
    // Failing to give back the trimmed ends wastes address space, nothing
    // else: the buffer itself is whole either way.
    if (head != 0)
      (void)calls.munmap(raw, head);
    if (tail != 0)
      (void)calls.munmap(reinterpret_cast<void *>(start + capacity), tail);
    void *p = reinterpret_cast<void *>(start);
    // Refused (no transparent huge pages, or a sandbox's seccomp filter):
    // small pages, the same bytes.
    (void)calls.madvise(p, static_cast<size_t>(capacity), MADV_HUGEPAGE);
    return wrap(p, capacity);
  }

  void release(void *p, uint64_t capacity) noexcept {
    std::unique_lock lock(mutex_);
    if (cached_ + capacity <= limit_) {
      try {
        free_.emplace(capacity, p);
        cached_ += capacity;
        return;
      } catch (...) { // no memory for the entry: give the buffer back instead
      }
    }
    const auto unmap = calls_.munmap;
    lock.unlock();
    (void)unmap(p, static_cast<size_t>(capacity));
  }

  uint64_t set_limit(uint64_t bytes) noexcept {
    std::lock_guard lock(mutex_);
    const uint64_t previous = std::exchange(limit_, bytes);
    // Largest first, until what is kept fits the new limit.
    while (cached_ > limit_) {
      const auto last = std::prev(free_.end());
      cached_ -= last->first;
      (void)calls_.munmap(last->second, static_cast<size_t>(last->first));
      free_.erase(last);
    }
    return previous;
  }

  uint64_t cached() {
    std::lock_guard lock(mutex_);
    return cached_;
  }

  PoolSyscalls set_calls(PoolSyscalls calls) {
    std::lock_guard lock(mutex_);
    return std::exchange(calls_, calls);
  }

private:
  std::shared_ptr<void> wrap(void *p, uint64_t capacity) {
    try {
      return std::shared_ptr<void>(p, [this, capacity](void *q) { release(q, capacity); });
    } catch (...) { // the control block could not be allocated
      release(p, capacity);
      throw;
    }
  }

  std::mutex mutex_;
  PoolSyscalls calls_{&::mmap, &::madvise, &::munmap};
  std::multimap<uint64_t, void *> free_; // capacity -> released buffer
  uint64_t cached_ = 0;                  // bytes in free_
  uint64_t limit_ = default_limit();
};

// Never destroyed: buffers may be released by other static destructors,
// after this file's would have run.
Pool &pool() {
  static Pool *p = new Pool;
  return *p;
}

} // namespace

std::shared_ptr<void> allocate_large(uint64_t size) {
  return pool().allocate(size);
}

uint64_t buffer_cache_bytes() {
  return pool().cached();
}

PoolSyscalls set_pool_syscalls(PoolSyscalls calls) {
  return pool().set_calls(calls);
}

} // namespace weightio::detail

namespace weightio {

uint64_t set_buffer_cache_limit(uint64_t bytes) {
  return detail::pool().set_limit(bytes);
}

} // namespace weightio
