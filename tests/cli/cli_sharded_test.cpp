// The tool on sharded checkpoints: inspect / verify / diff of an index or a
// folder, convert from a sharded input and --max-shard-size.
#include "cli_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;

fs::path reference(const std::string &name) {
  return wtest::data_path("sharded/" + name);
}

// Four 1024-byte tensors: "2KB" (2000 bytes) holds one per shard, "2KiB"
// (2048) two.
wcli_test::Model four_kib() {
  wcli_test::Model m;
  for (int i = 0; i < 4; ++i)
    m.add("t" + std::to_string(i), weightio::DType::F32, {256}, i + 1);
  return m;
}

} // namespace

TEST(CliSharded, InspectShowsTheShardTableAndIndexMetadata) {
  const fs::path c = reference("s05_extra_index_metadata");
  auto r = run_cli({"inspect", c.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto layout = weightio::describe_checkpoint(c);
  for (const auto &s : layout.shards) {
    EXPECT_NE(r.out.find(s.file), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(std::to_string(s.file_bytes).substr(0, 1)), std::string::npos);
  }
  EXPECT_NE(r.out.find("note = kept, shown"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 shards"), std::string::npos) << r.out;

  r = run_cli({"inspect", (c / "model.safetensors.index.json").string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.at("shards").size(), layout.shards.size());
  for (size_t i = 0; i < layout.shards.size(); ++i) {
    EXPECT_EQ(j["shards"][i]["file"], layout.shards[i].file);
    EXPECT_EQ(j["shards"][i]["tensors"], layout.shards[i].tensors.size());
    EXPECT_EQ(j["shards"][i]["bytes"], layout.shards[i].file_bytes);
  }
  EXPECT_EQ(j["index_metadata"]["format"], "pt");
  EXPECT_EQ(j["tensors"].size(), weightio::load_weights(c).size());
}

TEST(CliSharded, VerifyAndDiffTakeAFolderOrAnIndex) {
  const fs::path c = reference("s01_transformers_sharded");
  auto r = run_cli({"verify", c.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok: " + std::to_string(weightio::load_weights(c).size()) + " tensors\n");
  r = run_cli({"verify", reference("r02_tensor_not_in_its_shard").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("model.ghost.weight"), std::string::npos) << r.err;

  wtest::TempDir dir;
  r = run_cli({"convert", (c / "model.safetensors.index.json").string(),
               (dir / "one.safetensors").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run_cli({"diff", c.string(), (dir / "one.safetensors").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = run_cli({"diff", c.string(), reference("s02_mlx_lm_style").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
}

TEST(CliSharded, MaxShardSizeReadsDecimalAndBinaryUnits) {
  wtest::TempDir dir;
  wcli_test::save(dir / "in.safetensors", four_kib());
  struct Case {
    std::string size;
    size_t shards;
  };
  for (const Case &c :
       {Case{"2KB", 4}, Case{"2KiB", 2}, Case{"2kib", 2}, Case{"2048", 2}, Case{"1.5 KB", 4},
        Case{"0.003MB", 2}, Case{"2e0KiB", 2}, Case{" 1GB ", 1}}) {
    SCOPED_TRACE(c.size);
    const fs::path out = dir / "out";
    fs::remove_all(out);
    fs::create_directories(out);
    auto r = run_cli({"convert", (dir / "in.safetensors").string(),
                      (out / "model.safetensors").string(), "--max-shard-size", c.size});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto layout = weightio::describe_checkpoint(out);
    EXPECT_EQ(c.shards == 1 ? size_t{0} : c.shards, layout.shards.size());
    EXPECT_TRUE(wcli_test::same_tensors(weightio::load_weights(out),
                                        weightio::load_weights(dir / "in.safetensors")));
  }
  for (const std::string bad : {"12XB", "KB", "-1KB", "0", "0.0001KB", "infKB", "abc"}) {
    auto r = run_cli({"convert", (dir / "in.safetensors").string(),
                      (dir / "bad.safetensors").string(), "--max-shard-size", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_NE(r.err.find("--max-shard-size"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "bad.safetensors"));
  }
}

TEST(CliSharded, ConvertRefusesToReplaceAnIndexWithoutForce) {
  wtest::TempDir dir;
  wcli_test::save(dir / "in.npz", four_kib());
  auto r = run_cli(
      {"convert", (dir / "in.npz").string(), (dir / "m.npz").string(), "--max-shard-size", "2KB"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(dir / "m.npz.index.json"));
  r = run_cli(
      {"convert", (dir / "in.npz").string(), (dir / "m.npz").string(), "--max-shard-size", "2KiB"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("m.npz.index.json' exists"), std::string::npos) << r.err;
  r = run_cli({"convert", (dir / "in.npz").string(), (dir / "m.npz").string(), "--max-shard-size",
               "2KiB", "--force"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(weightio::describe_checkpoint(dir / "m.npz.index.json").shards.size(), 2u);
}
