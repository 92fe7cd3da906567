// Strided tensors gathered while other loads gather theirs: several threads
// each load a file of transposed views (one storage, several views, the
// host's gather split across its own threads too), for ThreadSanitizer, and
// every element lands where the storage's formula puts it.
#include "plugin_fixture.hpp"
#include "stv_file.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace weightio;

TEST(StorageConcurrency, ThreadsLoadingStridedViewsAtOnceGetExactElements) {
  wtest::load_test_plugin("stv");
  const int64_t rows = 512, cols = 1024; // 2 MiB a view: several parts each
  const uint64_t bytes = uint64_t(rows * cols * 4);
  std::vector<wtest::Desc> d = {
      {"t",
       WIO_DTYPE_F32,
       {cols, rows},
       {1, cols},
       WIO_STORAGE_STRIDED,
       0,
       0,
       0,
       1,
       0,
       bytes,
       bytes},
      {"even",
       WIO_DTYPE_F32,
       {rows / 2, cols},
       {2 * cols, 1},
       WIO_STORAGE_STRIDED,
       0,
       0,
       0,
       1,
       0,
       bytes,
       bytes / 2},
  };
  wtest::TempDir dir;
  wtest::write_bytes(dir / "v.stv", wtest::stv(d, wtest::floats(size_t(rows * cols))));
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&] {
      LoadOptions o;
      o.threads = 2;
      const Weights w = load_weights(dir / "v.stv", o);
      const float *t = w.at("t").data<float>();
      const float *even = w.at("even").data<float>();
      for (int64_t j = 0; j < cols; ++j)
        for (int64_t i = 0; i < rows; ++i)
          wrong += t[j * rows + i] != static_cast<float>(i * cols + j);
      for (int64_t i = 0; i < rows / 2; ++i)
        for (int64_t j = 0; j < cols; ++j)
          wrong += even[i * cols + j] != static_cast<float>(2 * i * cols + j);
    });
  for (auto &t : threads)
    t.join();
  EXPECT_EQ(wrong.load(), 0);
}
