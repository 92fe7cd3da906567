// Sharded saves of one stem from several threads are serialised by the
// stem's lock: every save succeeds, the checkpoint left is wholly one save's,
// and no lock, record or staged file remains.
#include "reliability_support.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace weightio;
namespace fs = std::filesystem;

TEST(ShardedConcurrency, SavesOfOneStemAreSerialised) {
  wrel::save_formats();
  for (const std::string format : {"safetensors", "npz"}) {
    SCOPED_TRACE(format);
    wtest::TempDir dir;
    const fs::path path = dir / ("model." + format);
    constexpr int kThreads = 4, kSaves = 5;
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        // Each thread its own value and shard count (1, 2, 3 or 6 shards).
        // All go through the sharded commit (a one-file save without
        // max_shard_bytes takes no lock: docs/RELIABILITY.md).
        wrel::Payload p(256, 6, static_cast<float>(t + 1));
        SaveOptions o;
        o.max_shard_bytes = t == 0 ? uint64_t{1} << 30
                                   : 1024 * static_cast<uint64_t>(t == 1   ? 3
                                                                  : t == 2 ? 2
                                                                           : 1);
        for (int i = 0; i < kSaves; ++i) {
          try {
            save_weights(path, p.params, o);
          } catch (const Error &e) {
            ADD_FAILURE() << e.what();
            ++failures;
          }
        }
      });
    for (auto &t : threads)
      t.join();
    EXPECT_EQ(failures, 0);
    const Weights w = load_weights(dir.path());
    ASSERT_EQ(w.size(), 6u);
    const float first = *static_cast<const float *>(w.begin()->second.data());
    for (const auto &[name, t] : w) {
      const float *f = static_cast<const float *>(t.data());
      for (size_t i = 0; i < t.nbytes() / 4; ++i)
        ASSERT_EQ(f[i], first) << name;
    }
    for (const auto &e : fs::directory_iterator(dir.path()))
      EXPECT_EQ(e.path().filename().string().find(".weightio-"), std::string::npos) << e.path();
  }
}
