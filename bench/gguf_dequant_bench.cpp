// Dequantization speed of the GGUF plugin's ggml block decoders, one core:
// random blocks (f16 scales set to sane values) decoded into a reused,
// pre-faulted output buffer, as a host decoding a tensor into its final
// buffer would. bytes_per_second is the output written (the target is
// >= 1 GB/s of float32 per core for Q8_0 and Q4_K).
//   gguf_dequant_bench [--benchmark_filter=Q8_0] [Google Benchmark flags]
#include "ggml/dequantize.hpp"

#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

using namespace weightio::gguf::ggml;

namespace {

constexpr uint64_t kOutputElems = uint64_t{4} << 20; // 16 MiB of float32: beyond the caches

// Where each type keeps its f16 scale(s), so they can be made finite.
std::vector<uint32_t> scale_offsets(Type t) {
  switch (t) {
  case Type::Q4_K:
  case Type::Q5_K:
    return {0, 2};
  case Type::Q2_K:
    return {80, 82};
  case Type::Q3_K:
    return {108};
  case Type::Q6_K:
    return {208};
  case Type::Q4_1:
  case Type::Q5_1:
    return {0, 2};
  case Type::TQ1_0:
    return {52};
  case Type::TQ2_0:
    return {64};
  default:
    return {0};
  }
}

void BM_Dequantize(benchmark::State &state, Type type, OutType out) {
  const TypeInfo &t = *find_type(static_cast<uint32_t>(type));
  const uint64_t nblocks = kOutputElems / t.block_elems;
  std::vector<uint8_t> src(nblocks * t.block_bytes);
  std::mt19937_64 rng(42);
  for (auto &b : src)
    b = static_cast<uint8_t>(rng());
  for (uint64_t i = 0; i < nblocks; ++i)
    for (uint32_t off : scale_offsets(type)) {
      src[i * t.block_bytes + off] = static_cast<uint8_t>(rng());
      src[i * t.block_bytes + off + 1] = 0x20; // f16 around 2^-7
    }
  std::vector<uint8_t> dst(kOutputElems * out_size(out));
  std::memset(dst.data(), 1, dst.size()); // pre-fault
  for (auto _ : state) {
    dequantize(t, src.data(), 0, nblocks, dst.data(), out);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * dst.size()));
}

#define WIO_DEQUANT_BENCH(TYPE)                                                                    \
  BENCHMARK_CAPTURE(BM_Dequantize, TYPE##_f32, Type::TYPE, OutType::f32)                           \
      ->Unit(benchmark::kMillisecond);

WIO_DEQUANT_BENCH(Q8_0)
WIO_DEQUANT_BENCH(Q4_K)
WIO_DEQUANT_BENCH(Q4_0)
WIO_DEQUANT_BENCH(Q5_K)
WIO_DEQUANT_BENCH(Q6_K)
WIO_DEQUANT_BENCH(IQ2_XXS)
WIO_DEQUANT_BENCH(IQ4_XS)
WIO_DEQUANT_BENCH(F16)
BENCHMARK_CAPTURE(BM_Dequantize, Q8_0_f16, Type::Q8_0, OutType::f16)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Dequantize, Q4_K_bf16, Type::Q4_K, OutType::bf16)
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
