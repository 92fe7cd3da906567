// A real ZIP64 archive: a member over 4 GiB and a member whose local header
// lies past 4 GiB. Writes ~4.3 GB to the temp folder, so it runs only when
// WEIGHTIO_LARGE_TESTS=1 (forced ZIP64 on small files covers the same code
// paths in every run).
#include "npz_test_util.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

using namespace weightio;

namespace {

TEST(NpzLarge, MembersAndOffsetsPast4GiB) {
  const char *enabled = std::getenv("WEIGHTIO_LARGE_TESTS");
  if (enabled == nullptr || std::strcmp(enabled, "1") != 0)
    GTEST_SKIP() << "set WEIGHTIO_LARGE_TESTS=1 to write a 4.3 GB archive";
  const uint64_t big = (uint64_t{1} << 32) + 4096;
  // Untouched anonymous pages read as zeros without using memory.
  void *zeros = mmap(nullptr, big, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(zeros, MAP_FAILED);
  const int64_t after[3] = {7, 8, 9};
  FlatParams params;
  params.emplace("big", TensorView(DType::U8, {static_cast<int64_t>(big)}, zeros));
  params.emplace("after", TensorView(DType::I64, {3}, after));
  wtest::TempDir dir;
  SaveOptions o;
  o.durable = false;
  save_weights(dir / "large.npz", params, o);
  munmap(zeros, big);

  LoadOptions lo;
  lo.verify = true; // CRC-32 of the 4 GiB member too
  auto w = load_weights(dir / "large.npz", lo);
  ASSERT_EQ(w.at("big").nbytes(), big);
  EXPECT_TRUE(w.at("big").is_mapped());
  EXPECT_EQ(w.at("after").data<int64_t>()[2], 9);

  auto r = wtest::run_python(wtest::python_script("npz_check_large.py"),
                             {(dir / "large.npz").string(), std::to_string(big)});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

} // namespace
