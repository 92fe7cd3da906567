// dequantize() from several threads at once, as a host splits a large
// tensor: disjoint block ranges of one tensor into one buffer give exactly
// the single-threaded result (and, under ThreadSanitizer, no race).
#include "test_support.hpp"

#include "ggml/dequantize.hpp"
#include "gguf_parse.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

using namespace weightio::gguf;

namespace {

TEST(GgufConcurrency, ThreadsDecodingDisjointBlockRangesAgreeWithOne) {
  for (const char *name :
       {"g05_quantize.gguf", "g06_kquants_raw.gguf", "g07_iquants_raw.gguf", "g10_llama.gguf"}) {
    SCOPED_TRACE(name);
    const auto bytes = wtest::read_bytes(wtest::data_path(std::string("gguf/") + name));
    const File f = parse(bytes);
    for (const auto &t : f.tensors) {
      if (!t.type->dequantizable || t.n_elements == 0)
        continue;
      SCOPED_TRACE(t.name);
      const uint8_t *src = bytes.data() + f.data_offset + t.offset;
      const uint64_t nblocks = t.n_elements / t.type->block_elems;
      std::vector<float> one(t.n_elements), many(t.n_elements, -1.0f);
      ggml::dequantize(*t.type, src, 0, nblocks, one.data(), ggml::OutType::f32);
      constexpr unsigned kThreads = 4;
      std::vector<std::thread> threads;
      for (unsigned k = 0; k < kThreads; ++k)
        threads.emplace_back([&, k] {
          for (uint64_t b = k; b < nblocks; b += kThreads) // interleaved single blocks
            ggml::dequantize(*t.type, src, b, 1, many.data(), ggml::OutType::f32);
        });
      for (auto &th : threads)
        th.join();
      EXPECT_EQ(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)), 0);
    }
  }
}

} // namespace
