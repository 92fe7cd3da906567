// Deflate bombs: a 10 GiB member of zeros deflated to
// about 10 MB, members whose declared size lies either way, and the exact
// bound on what deflate can produce. Loads run in a forked child that
// reports its peak memory growth (VmHWM), so "before allocating" and
// "constant memory" are measured, not assumed.
#include "npz_bomb_builder.hpp"
#include "npz_child_peak.hpp"
#include "npz_test_util.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

using namespace weightio;
using npztest::contains;

namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
// A load that inflated the bomb, or allocated for it, would grow by
// gigabytes; a streaming one by its 1 MiB buffer, the pages of the mapped
// input it reads (~11 MB here) and the sanitizers' bookkeeping.
constexpr uint64_t kConstantKiB = 128 << 10;

npzbomb::Bomb bomb(uint64_t zeros_mib, std::optional<uint64_t> header_elements = {},
                   std::optional<uint64_t> declared_size = {}) {
  npzbomb::Bomb b;
  b.zeros_mib = zeros_mib;
  b.header_elements = header_elements;
  b.declared_size = declared_size;
  return b;
}

// Loads `path` in a child; returns "ok N" (tensors loaded) or the error.
npztest::ChildRun load_in_child(const wtest::fs::path &path, const LoadOptions &o) {
  return npztest::run_in_child([&]() -> std::string {
    try {
      return "ok " + std::to_string(load_weights(path, o).size());
    } catch (const Error &e) {
      return e.what();
    }
  });
}

class NpzBomb : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new wtest::TempDir;
    // 10 GiB of zeros: 10240 segments of 1 MiB, about 10.6 MB of stream.
    ten_gib_ = npzbomb::write_bomb(*dir_ / "bomb10g.npz", bomb(10240));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static wtest::TempDir *dir_;
  static npzbomb::Built ten_gib_;
};
wtest::TempDir *NpzBomb::dir_ = nullptr;
npzbomb::Built NpzBomb::ten_gib_;

TEST_F(NpzBomb, TheBombIsWhatItClaims) {
  // The builder's arithmetic: a truthful 10 GiB member within deflate's
  // ratio, so only the memory limit (not the size checks) can stop a load.
  EXPECT_EQ(ten_gib_.inflated_size, 10 * kGiB + 128);
  EXPECT_EQ(ten_gib_.declared_size, ten_gib_.inflated_size);
  EXPECT_LT(ten_gib_.compressed_size, 12'000'000u);
  EXPECT_LE(ten_gib_.declared_size, ten_gib_.compressed_size * 1032);
}

TEST_F(NpzBomb, LoadOverTheMemoryLimitIsRefusedBeforeAllocating) {
  LoadOptions o;
  o.limits.max_alloc_bytes = kGiB;
  const auto run = load_in_child(*dir_ / "bomb10g.npz", o);
  ASSERT_TRUE(run.finished) << run.result;
  EXPECT_TRUE(contains(run.result, "member 'bomb.npy'")) << run.result;
  EXPECT_TRUE(contains(run.result, "needs 10737418240 bytes of memory")) << run.result;
  EXPECT_TRUE(contains(run.result, "the host refused")) << run.result;
  EXPECT_LT(run.peak_growth_kib, kConstantKiB) << run.result;
}

TEST_F(NpzBomb, VerifyOfMembersNotWantedStreamsInConstantMemory) {
  // What `weightio verify` needs from the plugin: every CRC checked, the
  // bomb's 10 GiB inflated through a small buffer, never held.
  LoadOptions o;
  o.verify = true;
  o.only = {"small"};
  const auto run = load_in_child(*dir_ / "bomb10g.npz", o);
  ASSERT_TRUE(run.finished) << run.result;
  EXPECT_EQ(run.result, "ok 1");
  EXPECT_LT(run.peak_growth_kib, kConstantKiB) << run.peak_growth_kib << " KiB";
}

TEST_F(NpzBomb, AMemberThatInflatesPastItsDeclaredSizeStopsThere) {
  // The ZIP headers and the npy header say 1 KiB; the stream holds 10 GiB.
  const uint64_t elements = 1024 - npzbomb::npy_header_u8(896).size();
  ASSERT_EQ(elements, 896u);
  const auto path = *dir_ / "lying_small.npz";
  npzbomb::write_bomb(path, bomb(10240, elements, 1024));
  for (const bool verify_only : {false, true}) {
    SCOPED_TRACE(verify_only ? "verify, member not wanted" : "load");
    LoadOptions o; // no memory limit: the declared size alone bounds the work
    if (verify_only) {
      o.verify = true;
      o.only = {"small"};
    }
    const auto run = load_in_child(path, o);
    ASSERT_TRUE(run.finished) << run.result;
    EXPECT_TRUE(contains(run.result, "member 'bomb.npy': inflated size mismatch: inflates to more "
                                     "than its declared "
                                     "size of 1024 bytes; stopped there"))
        << run.result;
    EXPECT_LT(run.peak_growth_kib, kConstantKiB) << run.result;
  }
}

TEST_F(NpzBomb, ADeclaredSizeNoStreamOfThatSizeCanProduceIsRefusedUpFront) {
  // 100 GiB declared from one header segment and one 1 MiB segment of
  // zeros (about 1.1 KB of stream).
  const auto path = *dir_ / "lying_big.npz";
  const auto built = npzbomb::write_bomb(path, bomb(1, 100 * kGiB - 128, 100 * kGiB));
  ASSERT_LT(built.compressed_size, 1200u);
  const std::string numbers = "declares 107374182400 bytes inflated from " +
                              std::to_string(built.compressed_size) +
                              " compressed bytes, more than deflate can produce";
  for (const bool verify_only : {false, true}) {
    SCOPED_TRACE(verify_only ? "verify, member not wanted" : "load");
    LoadOptions o;
    o.verify = verify_only;
    if (verify_only)
      o.only = {"small"};
    const auto run = load_in_child(path, o);
    ASSERT_TRUE(run.finished) << run.result;
    EXPECT_TRUE(contains(run.result, "member 'bomb.npy': " + numbers)) << run.result;
    EXPECT_LT(run.peak_growth_kib, kConstantKiB) << run.result;
  }
}

TEST_F(NpzBomb, TheDeflateBoundIsExactly1032BytesPerCompressedByte) {
  // At the bound the directory accepts the member (and the stream, which
  // is shorter, fails later); one byte more is refused by the bound itself.
  const auto probe = npzbomb::write_bomb(*dir_ / "probe.npz", bomb(1));
  const uint64_t at_bound = probe.compressed_size * 1032;
  {
    npzbomb::write_bomb(*dir_ / "at.npz", bomb(1, {}, at_bound));
    try {
      load_weights(*dir_ / "at.npz");
      ADD_FAILURE() << "loaded a member whose stream is shorter than declared";
    } catch (const FormatError &e) {
      EXPECT_FALSE(contains(e.what(), "more than deflate can produce")) << e.what();
      EXPECT_TRUE(contains(e.what(), "member 'bomb.npy'")) << e.what();
    }
  }
  npzbomb::write_bomb(*dir_ / "past.npz", bomb(1, {}, at_bound + 1));
  npztest::expect_refused(*dir_ / "past.npz", {}, "bomb.npy",
                          "declares " + std::to_string(at_bound + 1) + " bytes inflated from " +
                              std::to_string(probe.compressed_size) + " compressed bytes");
  // And the truthful archive loads, so the builder writes valid members.
  const Weights w = load_weights(*dir_ / "probe.npz");
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w.at("bomb").nbytes(), uint64_t{1} << 20);
}

} // namespace

namespace {

// The CLI's peak resident memory (KiB) running `args`, from GNU time.
uint64_t cli_peak_kib(const std::vector<std::string> &args, int expect_exit, std::string &out) {
  std::vector<std::string> argv{"/usr/bin/time", "-f", "peak_kib=%M", WEIGHTIO_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = wtest::run_command(argv);
  EXPECT_EQ(r.exit_code, expect_exit) << r.out << r.err;
  out = r.out;
  const auto at = r.err.rfind("peak_kib=");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no peak from /usr/bin/time: " << r.err;
    return UINT64_MAX;
  }
  return std::stoull(r.err.substr(at + 9));
}

} // namespace

TEST_F(NpzBomb, DescribeOnlyReadsHeadersAndInflatesNothingElse) {
  LoadOptions o;
  o.describe_only = true;
  const auto run = npztest::run_in_child([&]() -> std::string {
    const Weights w = load_weights(*dir_ / "bomb10g.npz", o);
    const Tensor &t = w.at("bomb");
    return "ok " + std::to_string(w.size()) + " " + std::to_string(t.nbytes()) +
           (t.data() == nullptr ? " no-data" : " data");
  });
  ASSERT_TRUE(run.finished) << run.result;
  EXPECT_EQ(run.result, "ok 2 10737418240 no-data");
  EXPECT_LT(run.peak_growth_kib, kConstantKiB) << run.result;

  // A member whose stream holds 10 GiB past its 1 KiB header: a description
  // never inflates that far, so it succeeds where every check refuses.
  const auto path = *dir_ / "lying_small_describe.npz";
  npzbomb::write_bomb(path, bomb(10240, 1024 - npzbomb::npy_header_u8(896).size(), 1024));
  EXPECT_EQ(load_in_child(path, o).result, "ok 2");
  o.verify = true;
  EXPECT_TRUE(contains(load_in_child(path, o).result, "stopped there"));
}

// `weightio verify` is verify + describe_only: every CRC, streamed.
TEST_F(NpzBomb, CliInspectAndVerifyOfTheBombStayInConstantMemory) {
  std::string out;
  const uint64_t inspect = cli_peak_kib({"inspect", (*dir_ / "bomb10g.npz").string()}, 0, out);
  EXPECT_NE(out.find("10,737,418,240"), std::string::npos) << out;
  EXPECT_LT(inspect, kConstantKiB + (64 << 10)) << inspect << " KiB";
  const uint64_t verify = cli_peak_kib({"verify", (*dir_ / "bomb10g.npz").string()}, 0, out);
  EXPECT_EQ(out, "ok: 2 tensors\n");
  EXPECT_LT(verify, kConstantKiB + (64 << 10)) << verify << " KiB";
}
