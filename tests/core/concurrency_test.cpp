// Several threads saving and loading at once, and plugin discovery racing
// with first use. Run under ThreadSanitizer by scripts/test.sh.
#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace weightio;

TEST(Concurrency, DiscoveryRacesWithFirstUse) {
  wtest::TempDir dir;
  std::vector<float> w(256, 1.0f);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      wtest::load_test_plugin("rawt"); // every thread triggers discovery
      FlatParams p;
      p.emplace("w", TensorView(DType::F32, {256}, w.data()));
      const auto path = dir / ("m" + std::to_string(i) + ".rawt");
      save_weights(path, p);
      if (load_weights(path).at("w").data<float>()[255] == 1.0f)
        ++ok;
      (void)loaded_plugins();
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 4);
  int rawt = 0;
  for (const auto &p : loaded_plugins())
    rawt += p.name == "rawt";
  EXPECT_EQ(rawt, 1);
}

TEST(Concurrency, ThreadsSavingToOnePathLeaveOneCompleteFile) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  const auto path = dir / "shared.rawt";
  constexpr int kThreads = 4;
  std::vector<std::vector<float>> data(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    data[i].assign(100000, static_cast<float>(i));
    threads.emplace_back([&, i] {
      FlatParams p;
      p.emplace("w", TensorView(DType::F32, {100000}, data[i].data()));
      for (int round = 0; round < 5; ++round)
        save_weights(path, p);
    });
  }
  for (auto &t : threads)
    t.join();
  Weights w = load_weights(path);
  const float first = w.at("w").data<float>()[0];
  const float *all = w.at("w").data<float>();
  for (int i = 0; i < 100000; ++i)
    ASSERT_EQ(all[i], first) << "mixed content at " << i;
  size_t entries = 0;
  for (auto &e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1u); // no temporary left behind
}

TEST(Concurrency, ConcurrentLoadsShareNothingMutable) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  std::vector<int32_t> v(5000);
  for (int i = 0; i < 5000; ++i)
    v[i] = i;
  FlatParams p;
  p.emplace("v", TensorView(DType::I32, {5000}, v.data()));
  save_weights(dir / "m.rawt", p);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        Weights w = load_weights(dir / "m.rawt");
        if (w.at("v").data<int32_t>()[4999] == 4999)
          ++good;
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(good.load(), 80);
}
