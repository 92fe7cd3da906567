#include "io/live_temporaries.hpp"

#include <weightio/signals.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace weightio::detail {

namespace {

constexpr int kSlots = 64;
constexpr size_t kPathBytes = 4096;

// state: a generation count times 4, plus the phase: 0 free, 1 claimed (the
// path is being written), 2 live. A handler copies a live slot's path and
// uses the copy only if the state did not change meanwhile, so a slot freed
// and reused by another thread during the copy is never half-read.
struct Slot {
  std::atomic<uint64_t> state{0};
  char path[kPathBytes];
};
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "a signal handler may only use lock-free atomics");

Slot g_slots[kSlots];

constexpr uint64_t kFree = 0, kClaimed = 1, kLive = 2;

} // namespace

int remember_temporary(const char *path) noexcept {
  const size_t len = std::strlen(path);
  if (len >= kPathBytes)
    return -1;
  for (int i = 0; i < kSlots; ++i) {
    uint64_t s = g_slots[i].state.load(std::memory_order_relaxed);
    if ((s & 3) != kFree)
      continue;
    const uint64_t claimed = (s & ~uint64_t{3}) + 4 + kClaimed; // a new generation
    if (!g_slots[i].state.compare_exchange_strong(s, claimed, std::memory_order_acquire))
      continue;
    std::memcpy(g_slots[i].path, path, len + 1);
    g_slots[i].state.store((claimed & ~uint64_t{3}) | kLive, std::memory_order_release);
    return i;
  }
  return -1;
}

void forget_temporary(int handle) noexcept {
  if (handle < 0 || handle >= kSlots)
    return;
  const uint64_t s = g_slots[handle].state.load(std::memory_order_relaxed);
  g_slots[handle].state.store(s & ~uint64_t{3},
                              std::memory_order_release); // kFree, same generation
}

} // namespace weightio::detail

namespace weightio {

void remove_save_temporaries_from_signal_handler() noexcept {
  using namespace detail;
  for (int i = 0; i < kSlots; ++i) {
    const uint64_t before = g_slots[i].state.load(std::memory_order_acquire);
    if ((before & 3) != kLive)
      continue;
    char copy[kPathBytes];
    // Byte by byte through volatile: the slot may change under the copy,
    // which the second load below detects.
    size_t n = 0;
    for (; n + 1 < kPathBytes; ++n) {
      copy[n] = static_cast<const volatile char *>(g_slots[i].path)[n];
      if (copy[n] == '\0')
        break;
    }
    copy[n] = '\0';
    // The seqlock's read side: the copy above must not move past the check
    // below. GCC's ThreadSanitizer build warns that it does not model
    // fences; the ordering is still what the code needs.
#if defined(__SANITIZE_THREAD__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wtsan"
#endif
    std::atomic_thread_fence(std::memory_order_acquire);
#if defined(__SANITIZE_THREAD__) && defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    if (g_slots[i].state.load(std::memory_order_relaxed) == before)
      ::unlink(copy);
  }
}

} // namespace weightio
