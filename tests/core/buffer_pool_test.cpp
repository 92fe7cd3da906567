// Memory for copies (core/src/memory/buffer_pool.hpp, behind allocate_aligned):
// large buffers are 2 MiB-aligned and reused within the process up to the
// cap, small ones stay 64-byte aligned heap memory, and loads that copy stay
// byte-exact when the kernel refuses huge pages or the trimming of the
// over-mapped ends fails.
#include "memory/buffer_pool.hpp"

#include "test_support.hpp"

#include <weightio/memory.hpp>
#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <vector>

using namespace weightio;
using weightio::detail::buffer_cache_bytes;
using weightio::detail::PoolSyscalls;
using weightio::detail::set_pool_syscalls;

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

int g_madvise_calls = 0;
int refuse_madvise(void *, size_t, int) {
  ++g_madvise_calls;
  errno = EINVAL; // as a kernel built without transparent huge pages
  return -1;
}
int refuse_munmap(void *, size_t) {
  errno = EINVAL;
  return -1;
}

// Restores the real system calls and the default cap, and empties the
// cache, whatever the test did.
struct PoolState {
  PoolSyscalls saved = set_pool_syscalls({&::mmap, &::madvise, &::munmap});
  uint64_t limit = set_buffer_cache_limit(0);
  PoolState() { set_buffer_cache_limit(limit); }
  ~PoolState() {
    set_pool_syscalls(saved);
    set_buffer_cache_limit(0);
    set_buffer_cache_limit(limit);
  }
};

bool aligned(const void *p, uint64_t to) {
  return reinterpret_cast<uintptr_t>(p) % to == 0;
}

// A float32 tensor whose bytes tell its name and position apart.
std::vector<float> filled(size_t n, int seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<float>((i * 7 + seed) % 10007);
  return v;
}

} // namespace

TEST(BufferPool, LargeBuffersAre2MiBAlignedAndSmallOnes64) {
  PoolState state;
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, uint64_t{100}, kMiB, 2 * kMiB - 1}) {
    auto p = allocate_aligned(size, 64);
    EXPECT_TRUE(aligned(p.get(), 64)) << size;
  }
  for (uint64_t size : {2 * kMiB, 2 * kMiB + 1, 5 * kMiB + 3}) {
    auto p = allocate_aligned(size, 64);
    EXPECT_TRUE(aligned(p.get(), 2 * kMiB)) << size;
    std::memset(p.get(), 0xab, size); // every byte is ours
  }
  EXPECT_TRUE(aligned(allocate_aligned(3 * kMiB, 4096).get(), 4096));
}

TEST(BufferPool, ReleasedBuffersAreReusedWithinTheCap) {
  PoolState state;
  set_buffer_cache_limit(8 * kMiB);
  void *first = nullptr;
  {
    auto a = allocate_aligned(3 * kMiB + 5);
    first = a.get();
  }
  EXPECT_EQ(buffer_cache_bytes(), 4 * kMiB); // rounded up to 2 MiB
  {
    // The same size rounded gets the released buffer back; another size
    // does not.
    auto other = allocate_aligned(7 * kMiB);
    EXPECT_NE(other.get(), first);
    auto again = allocate_aligned(4 * kMiB);
    EXPECT_EQ(again.get(), first);
    EXPECT_EQ(buffer_cache_bytes(), 0u);
  }
  // 4 MiB came back; the 8 MiB buffer would pass the cap, so it went back
  // to the kernel.
  EXPECT_EQ(buffer_cache_bytes(), 4 * kMiB);

  // Many released at once: never more than the cap is kept.
  {
    std::vector<std::shared_ptr<void>> held;
    for (int i = 0; i < 10; ++i)
      held.push_back(allocate_aligned(2 * kMiB));
  }
  EXPECT_LE(buffer_cache_bytes(), 8 * kMiB);
  EXPECT_GE(buffer_cache_bytes(), 6 * kMiB);

  // Lowering the cap gives back what is over it; 0 turns the cache off.
  EXPECT_EQ(set_buffer_cache_limit(2 * kMiB), 8 * kMiB);
  EXPECT_LE(buffer_cache_bytes(), 2 * kMiB);
  set_buffer_cache_limit(0);
  EXPECT_EQ(buffer_cache_bytes(), 0u);
  { auto a = allocate_aligned(2 * kMiB); }
  EXPECT_EQ(buffer_cache_bytes(), 0u);
}

TEST(BufferPool, LoadsAreExactWhenHugePagesAreRefused) {
  PoolState state;
  wtest::TempDir dir;
  // Tensors of 3-9 MiB, so that a load that copies takes pool buffers.
  std::vector<std::vector<float>> data;
  FlatParams params;
  for (int i = 0; i < 4; ++i) {
    data.push_back(filled((3 + 2 * i) * kMiB / 4 + 17, i));
    params.emplace(
        "t" + std::to_string(i),
        TensorView(DType::F32, {static_cast<int64_t>(data.back().size())}, data.back().data()));
  }
  SaveOptions so;
  so.durable = false;
  for (const char *name : {"m.npz", "m.safetensors"}) {
    SCOPED_TRACE(name);
    save_weights(dir / name, params, so);
    LoadOptions lo;
    lo.read_into_memory = true; // the whole file in one large copy
    for (int round = 0; round < 3; ++round) {
      SCOPED_TRACE(round);
      g_madvise_calls = 0;
      if (round == 1) // huge pages refused
        set_pool_syscalls({&::mmap, &refuse_madvise, &::munmap});
      if (round == 2) // the over-mapped ends cannot be trimmed either
        set_pool_syscalls({&::mmap, &refuse_madvise, &refuse_munmap});
      set_buffer_cache_limit(0); // fresh mappings, so the calls are made
      set_buffer_cache_limit(state.limit);
      const Weights w = load_weights(dir / name, lo);
      if (round > 0) {
        EXPECT_GT(g_madvise_calls, 0) << "the injected madvise was never called";
      }
      ASSERT_EQ(w.size(), params.size());
      for (const auto &[key, view] : params) {
        const Tensor &t = w.at(key);
        // Views into the read buffer where the file aligns them for their
        // dtype (safetensors: 4 bytes here), as with a mapping.
        EXPECT_TRUE(aligned(t.data(), alignof(float)));
        ASSERT_EQ(t.nbytes(), view.nbytes());
        EXPECT_EQ(std::memcmp(t.data(), view.data(), view.nbytes()), 0) << key;
      }
      set_pool_syscalls({&::mmap, &::madvise, &::munmap});
    }
  }
}
