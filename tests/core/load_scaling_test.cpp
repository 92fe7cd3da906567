// Loads of headers with very many entries: all of them
// come back in file order, a repeated key is still found among 300,000, and
// the peak memory of a load stays within 4x the file. Memory is counted in
// a child process (VmHWM), never time.
#include "../npz/npz_child_peak.hpp"
#include "many_entries.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <sys/prctl.h>

#include <weightio/weightio.hpp>

#include <fstream>

namespace {

namespace fs = std::filesystem;
using namespace weightio;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true; // redzones and quarantine inflate every figure
#else
constexpr bool kSanitized = false;
#endif

TEST(LoadScaling, EveryTensorAndMetadataEntryComesBackInFileOrder) {
  wtest::TempDir dir;
  const fs::path file = dir / "many.safetensors";
  wtest::write_many_entries(file, 100'000, 100'000);
  const Weights w = load_weights(file);
  ASSERT_EQ(w.size(), 100'000u);
  uint64_t i = 0;
  for (const auto &[name, t] : w) {
    ASSERT_EQ(name, wtest::many_tensor_name(i));
    ASSERT_EQ(t.shape(), Shape{1});
    ASSERT_EQ(*t.data<float>(), static_cast<float>(i));
    ++i;
  }
  ASSERT_EQ(w.metadata.size(), 100'000u);
  i = 0;
  for (const auto &[key, value] : w.metadata) {
    ASSERT_EQ(key, wtest::many_metadata_key(i));
    ASSERT_EQ(value.as_string(), wtest::many_metadata_value(i));
    ++i;
  }
  EXPECT_EQ(w.metadata.at("key.0054321").as_string(), "value 54321");
  EXPECT_EQ(w.at(wtest::many_tensor_name(99'999)).nbytes(), 4u);
}

// The name index behind Metadata and OrderedMap (positions in a table that
// rehashes as it grows, shifted on erase): every key is found at its value
// through growth, erasure at either end and in the middle, and re-adding.
TEST(LoadScaling, MetadataAndOrderedMapFindEveryKeyThroughGrowthAndErase) {
  Metadata m;
  OrderedMap<int> names;
  constexpr int kN = 5000;
  for (int i = 0; i < kN; ++i) {
    m.emplace("k" + std::to_string(i), Value::integer(ValueType::I32, i));
    names.emplace("n" + std::to_string(i), i);
  }
  EXPECT_THROW(m.emplace("k17", Value("again")), Error);
  EXPECT_THROW(names.emplace("n17", 0), Error);
  for (int i = 0; i < kN; ++i) {
    ASSERT_EQ(m.at("k" + std::to_string(i)).as_int(), i);
    ASSERT_EQ(names.at("n" + std::to_string(i)), i);
  }
  EXPECT_FALSE(m.contains("k5000"));
  EXPECT_EQ(names.find("n-1"), nullptr);
  for (const int gone : {0, kN - 1, kN / 2})
    EXPECT_TRUE(m.erase("k" + std::to_string(gone)));
  EXPECT_FALSE(m.erase("k0"));
  EXPECT_EQ(m.size(), static_cast<size_t>(kN - 3));
  for (int i = 0; i < kN; ++i) {
    const bool gone = i == 0 || i == kN - 1 || i == kN / 2;
    const Value *v = m.find("k" + std::to_string(i));
    ASSERT_EQ(v == nullptr, gone) << i;
    if (!gone) {
      ASSERT_EQ(v->as_int(), i);
    }
  }
  m["k0"] = Value("back");
  EXPECT_EQ(m.at("k0").as_string(), "back");
  EXPECT_EQ((m.end() - 1)->first, "k0"); // re-added at the end
  const Metadata copy = m;
  EXPECT_EQ(copy.at("k1234").as_int(), 1234);
  EXPECT_EQ(copy, m);
}

// Duplicates are looked for once the whole __metadata__ object is read: one
// at either end of 300,000 keys is found and named.
TEST(LoadScaling, RepeatedMetadataKeyAmongManyIsRefusedNamingIt) {
  wtest::TempDir dir;
  for (const uint64_t first : {uint64_t{0}, uint64_t{299'998}}) {
    const fs::path file = dir / "dup.safetensors";
    wtest::write_many_entries(file, 1, 300'000);
    // Rename key 299,999 (or key 1) to the one before it, in place: same length.
    auto bytes = wtest::read_bytes(file);
    const std::string from = "\"" + wtest::many_metadata_key(first + 1) + "\"";
    const std::string to = "\"" + wtest::many_metadata_key(first) + "\"";
    const std::string text(bytes.begin(), bytes.end());
    const size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos);
    std::copy(to.begin(), to.end(), bytes.begin() + static_cast<std::ptrdiff_t>(at));
    wtest::write_bytes(file, bytes);
    try {
      (void)load_weights(file);
      FAIL() << "duplicate key accepted";
    } catch (const FormatError &e) {
      const std::string what = e.what();
      // Messages quote names as sdk::quoted does: single quotes.
      const std::string shown = "'" + wtest::many_metadata_key(first) + "'";
      EXPECT_NE(what.find("__metadata__ key " + shown + " appears twice"), std::string::npos)
          << what;
    }
  }
}

// The scaling bound: a file of many one-element tensors (nearly all header)
// loads within 4x its size, described (what inspect does) or mapped.
TEST(LoadScaling, PeakMemoryStaysWithinFourTimesTheFile) {
  if (kSanitized)
    GTEST_SKIP() << "peak memory is not representative under sanitizers";
  wtest::TempDir dir;
  const fs::path file = dir / "many.safetensors";
  wtest::write_many_entries(file, 300'000, 0);
  const uint64_t size_kib = fs::file_size(file) / 1024;
  for (const bool describe : {true, false}) {
    const auto run = npztest::run_in_child([&] {
      // Transparent huge pages would count a touched heap page as 2 MiB of
      // RSS, so the peak would follow the kernel's THP mood (idle machines
      // back the heap with huge pages, loaded ones don't): measure 4 KiB
      // pages, what the load really touches.
      ::prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
      LoadOptions o;
      o.describe_only = describe;
      const Weights w = load_weights(file, o);
      return std::to_string(w.size());
    });
    ASSERT_TRUE(run.finished) << run.result;
    EXPECT_EQ(run.result, "300000");
    EXPECT_LE(run.peak_growth_kib, 4 * size_kib)
        << (describe ? "describe_only" : "mapped") << ": file " << size_kib << " KiB";
  }
}

} // namespace
