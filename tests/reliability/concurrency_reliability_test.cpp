// Saves and loads from several threads at once, for every format. Named
// *Concurrency* so that scripts/test.sh also runs them under ThreadSanitizer
// (which is why nothing here forks: the multi-process cases live in
// save_faults_test.cpp). Sizes are small to keep the TSan run quick.
#include "reliability_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

// Every tensor of `w` holds `value` everywhere; false on the first mix.
bool uniform(const Weights &w, size_t tensors, float &value) {
  if (w.size() != tensors)
    return false;
  value = w.begin()->second.data<float>()[0];
  for (const auto &[name, t] : w)
    for (uint64_t i = 0; i < t.numel(); ++i)
      if (t.data<float>()[i] != value)
        return false;
  return true;
}

} // namespace

// A loader racing a saver sees the old file or the new one, whole: the
// rename is atomic and a mapped old file stays valid after it is replaced.
TEST(ReliabilityConcurrency, LoadsDuringSavesSeeOldOrNewNeverAMix) {
  for (const auto &format : wrel::save_formats()) {
    SCOPED_TRACE(format);
    wtest::TempDir dir;
    const auto path = dir / ("m." + format);
    wrel::Payload ones(4096, 3, 1.0f), twos(4096, 3, 2.0f);
    save_weights(path, ones.params);
    std::atomic<bool> done{false};
    std::atomic<int> loads{0}, bad{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r)
      readers.emplace_back([&, r] {
        LoadOptions o;
        o.read_into_memory = r == 1;
        while (!done.load()) {
          try {
            float v = 0;
            if (!uniform(load_weights(path, o), 3, v) || (v != 1.0f && v != 2.0f))
              ++bad;
          } catch (const Error &e) {
            ADD_FAILURE() << e.what();
            ++bad;
          }
          ++loads;
        }
      });
    SaveOptions fast;
    fast.durable = false;
    for (int i = 0; i < 30; ++i)
      save_weights(path, (i % 2 ? ones : twos).params, fast);
    done = true;
    for (auto &t : readers)
      t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_GT(loads.load(), 0);
    EXPECT_TRUE(wrel::others(dir.path(), "m." + format).empty());
  }
}

// Different formats, files, memory buffers and load_weights_into, all at
// once: nothing in the core or the plugins is shared mutable state.
TEST(ReliabilityConcurrency, EveryFormatSavesAndLoadsInParallel) {
  const auto formats = wrel::save_formats();
  wtest::TempDir dir;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  constexpr int kThreads = 6, kRounds = 5;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      const std::string &format = formats[i % formats.size()];
      wrel::Payload p(512, 2, static_cast<float>(i));
      const auto path = dir / ("t" + std::to_string(i) + "." + format);
      for (int round = 0; round < kRounds; ++round) {
        try {
          save_weights(path, p.params);
          float v = -1;
          if (!uniform(load_weights(path), 2, v) || v != static_cast<float>(i))
            continue;
          SaveOptions so;
          so.format = format;
          LoadOptions lo;
          lo.format = format;
          const auto bytes = save_weights_to_memory(p.params, so);
          if (!uniform(load_weights_from_memory(bytes, lo), 2, v) || v != static_cast<float>(i))
            continue;
          std::vector<float> a(512), b(512);
          MutableParams dst;
          dst.emplace("t0", MutableTensorView{DType::F32, {512}, a.data()});
          dst.emplace("t1", MutableTensorView{DType::F32, {512}, b.data()});
          if (load_weights_into(path, dst).size() == 2 && b[511] == static_cast<float>(i))
            ++ok;
        } catch (const Error &e) {
          ADD_FAILURE() << format << ": " << e.what();
        }
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(ok.load(), kThreads * kRounds);
}

// Stored npz saves over 2 MiB run a writer thread each (the host file sink's
// staging ring); several at once, to a file and to memory, come back
// whole.
TEST(ReliabilityConcurrency, LargeNpzSavesWithHelperThreadsInParallel) {
  wtest::TempDir dir;
  constexpr int kThreads = 3;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] {
      std::vector<float> small(300 * 1000), large(1 << 20);
      for (size_t k = 0; k < small.size(); ++k)
        small[k] = static_cast<float>(k % 1000 + i);
      for (size_t k = 0; k < large.size(); ++k)
        large[k] = static_cast<float>(k % 777 + i);
      FlatParams params;
      for (int k = 0; k < 300; ++k)
        params.emplace("s" + std::to_string(k), TensorView(DType::F32, {1000}, &small[k * 1000]));
      params.emplace("z", TensorView(DType::F32, {1 << 20}, large.data()));
      SaveOptions o;
      o.durable = false;
      o.format = "npz";
      const auto path = dir / ("big" + std::to_string(i) + ".npz");
      try {
        save_weights(path, params, o);
        const auto bytes = save_weights_to_memory(params, o);
        const Weights a = load_weights(path);
        LoadOptions lo;
        lo.format = "npz";
        const Weights b = load_weights_from_memory(bytes, lo);
        bool same = a.size() == params.size() && b.size() == params.size();
        for (const auto &[name, t] : params)
          same = same && std::memcmp(a.at(name).data(), t.data(), t.nbytes()) == 0 &&
                 std::memcmp(b.at(name).data(), t.data(), t.nbytes()) == 0;
        ok += same;
      } catch (const Error &e) {
        ADD_FAILURE() << e.what();
      }
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(ok.load(), kThreads);
}

// Tensors outlive their Weights and the thread that loaded them; dropping
// the last one from another thread releases the mapping safely.
TEST(ReliabilityConcurrency, MappedTensorsCrossThreads) {
  const auto formats = wrel::save_formats();
  wtest::TempDir dir;
  std::vector<Tensor> kept;
  std::mutex m;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < formats.size() * 2; ++i)
    threads.emplace_back([&, i] {
      const auto &format = formats[i % formats.size()];
      const auto path = dir / ("x" + std::to_string(i) + "." + format);
      wrel::Payload p(256, 1, 3.0f);
      save_weights(path, p.params);
      Tensor t = load_weights(path).at("t0");
      std::lock_guard<std::mutex> lock(m);
      kept.push_back(std::move(t));
    });
  for (auto &t : threads)
    t.join();
  std::vector<std::thread> droppers;
  for (auto &t : kept)
    droppers.emplace_back([t = std::move(t)]() mutable {
      EXPECT_EQ(t.data<float>()[255], 3.0f);
      t = Tensor();
    });
  for (auto &t : droppers)
    t.join();
}
