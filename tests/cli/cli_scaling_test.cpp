// weightio inspect on headers of very many entries:
// every entry comes out, in file order, exact in --json, one table row per
// tensor; and the peak memory stays within 4x the file. Memory is counted
// (the child's peak RSS), never time.
#include "cli_support.hpp"
#include "many_entries.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;

constexpr uint64_t kTensors = 30'000;
constexpr uint64_t kMetadata = 30'000;

class CliScaling : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir = new wtest::TempDir;
    wtest::write_many_entries(*dir / "many.safetensors", kTensors, kMetadata);
  }
  static void TearDownTestSuite() {
    delete dir;
    dir = nullptr;
  }
  static fs::path file() { return *dir / "many.safetensors"; }
  static wtest::TempDir *dir;
};

wtest::TempDir *CliScaling::dir = nullptr;

TEST_F(CliScaling, JsonListsEveryEntryExactlyInFileOrder) {
  const auto r = run_cli({"inspect", file().string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto &md = j.at("metadata");
  ASSERT_EQ(md.size(), kMetadata);
  for (uint64_t i = 0; i < kMetadata; ++i) {
    ASSERT_EQ(md[i].at("key"), wtest::many_metadata_key(i)) << i;
    ASSERT_EQ(md[i].at("type"), "STRING");
    ASSERT_EQ(md[i].at("value"), wtest::many_metadata_value(i)) << i;
  }
  const auto &ts = j.at("tensors");
  ASSERT_EQ(ts.size(), kTensors);
  for (uint64_t i = 0; i < kTensors; ++i) {
    ASSERT_EQ(ts[i].at("name"), wtest::many_tensor_name(i)) << i;
    ASSERT_EQ(ts[i].at("dtype"), "F32");
    ASSERT_EQ(ts[i].at("shape"), nlohmann::json::array({1}));
    ASSERT_EQ(ts[i].at("nbytes"), 4);
  }
  // The layout: top-level members and every entry on a line of its own.
  size_t lines = 0;
  for (char c : r.out)
    lines += c == '\n';
  // {, schema, file, format, metadata [ ], tensors [ ], }
  EXPECT_EQ(lines, kMetadata + kTensors + 9);
}

TEST_F(CliScaling, TableHasOneAlignedRowPerTensorInFileOrder) {
  const auto r = run_cli({"inspect", file().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string line;
  uint64_t meta = 0;
  while (std::getline(in, line) && !line.empty())
    meta += line.find(" = ") != std::string::npos;
  EXPECT_EQ(meta, kMetadata);
  ASSERT_TRUE(std::getline(in, line));
  ASSERT_EQ(line.rfind("name", 0), 0u) << line;
  const size_t width = line.size(); // the last column is right-aligned
  for (uint64_t i = 0; i < kTensors; ++i) {
    ASSERT_TRUE(std::getline(in, line)) << i;
    std::string name = wtest::many_tensor_name(i);
    // The table escapes control characters for the terminal.
    if (i % 1000 == 7)
      name = name.substr(0, name.size() - 1) + "\\x01";
    ASSERT_EQ(line.rfind(name + " ", 0), 0u) << line;
    // ü is two bytes and one column.
    ASSERT_EQ(line.size() - (i % 1000 == 507 ? 1 : 0), width) << line;
    ASSERT_EQ(line.substr(line.size() - 2), " 4") << line;
  }
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "");
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line.rfind("30000 tensors, 30,000 elements, 120,000 bytes", 0), 0u) << line;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true; // redzones and quarantine inflate every figure
#else
constexpr bool kSanitized = false;
#endif

// The scaling bound (docs/PERFORMANCE.md, "Scaling in entries") on counted
// bytes: inspecting a header of 200,000 tensors peaks within 4x the file over
// inspecting an empty file. (Before: the JSON tree and the table's strings
// took ~10x, then ~16x with the copies of every descriptor.)
TEST(CliScalingMemory, InspectPeaksWithinFourTimesTheFile) {
  if (kSanitized)
    GTEST_SKIP() << "peak memory is not representative under sanitizers";
  wtest::TempDir dir;
  const fs::path big = dir / "big.safetensors", small = dir / "small.safetensors";
  wtest::write_many_entries(big, 200'000, 0);
  wtest::write_many_entries(small, 1, 0);
  const auto size_kib = static_cast<long>(fs::file_size(big) / 1024);
  for (const bool json : {false, true}) {
    std::vector<std::string> args{"inspect", small.string()};
    if (json)
      args.push_back("--json");
    const auto base = run_cli(args);
    args[1] = big.string();
    const auto r = run_cli(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LE(r.max_rss_kib - base.max_rss_kib, 4 * size_kib)
        << (json ? "--json" : "table") << ": file " << size_kib << " KiB";
  }
}

} // namespace
