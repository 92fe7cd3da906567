// read_into_memory reads each tensor's range straight into its own buffer:
// peak memory is the tensors plus a bounded overhead, never the file twice
// (once read whole, then copied), measured in a child process.
#include "../npz/npz_child_peak.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kTensors = 8;
constexpr uint64_t kTensorBytes = uint64_t{16} << 20;
constexpr uint64_t kAllowanceKiB = 64 * 1024; // the bound over the tensors (docs/PERFORMANCE.md)

std::string load_touching(const fs::path &path) {
  LoadOptions o;
  o.read_into_memory = true;
  o.threads = 2;
  const Weights w = load_weights(path, o);
  uint64_t bytes = 0, sum = 0;
  for (const auto &[name, t] : w) {
    const auto *p = static_cast<const uint8_t *>(t.data());
    for (uint64_t i = 0; i < t.nbytes(); i += 4096)
      sum += p[i];
    bytes += t.nbytes();
    if (t.is_mapped())
      return "a tensor is a view into a map";
  }
  return "ok " + std::to_string(bytes) + " " + std::to_string(sum);
}

void expect_peak_within_bound(const fs::path &path) {
  const auto run = npztest::run_in_child([&] { return load_touching(path); });
  ASSERT_TRUE(run.finished) << run.result;
  ASSERT_EQ(run.result.rfind("ok " + std::to_string(kTensors * kTensorBytes), 0), 0u) << run.result;
  EXPECT_LE(run.peak_growth_kib, kTensors * kTensorBytes / 1024 + kAllowanceKiB)
      << "peak grew by " << run.peak_growth_kib << " KiB";
}

TEST(ReadIntoMemory, SafetensorsPeakIsTheTensorsPlusAtMost64MiB) {
  wtest::TempDir dir;
  std::vector<float> data(kTensorBytes / 4, 1.5f);
  FlatParams p;
  for (uint64_t i = 0; i < kTensors; ++i)
    p.emplace("t" + std::to_string(i),
              TensorView(DType::F32, {static_cast<int64_t>(data.size())}, data.data()));
  SaveOptions so;
  so.durable = false;
  save_weights(dir / "m.safetensors", p, so);
  expect_peak_within_bound(dir / "m.safetensors");
}

TEST(ReadIntoMemory, NumpysMisalignedNpzPeakIsTheTensorsPlusAtMost64MiB) {
  // numpy's members are not aligned: the old path held the whole file and a
  // copy of every tensor.
  wtest::TempDir dir;
  const fs::path path = dir / "numpy.npz";
  const auto r = wtest::run_command({"/usr/bin/python3", "-c",
                                     "import numpy as np, sys\n"
                                     "np.savez(sys.argv[1], **{'t%d' % i: np.full(" +
                                         std::to_string(kTensorBytes / 4) +
                                         ", i, dtype='<f4') for i in range(" +
                                         std::to_string(kTensors) + ")})\n",
                                     path.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_peak_within_bound(path);
}

} // namespace
