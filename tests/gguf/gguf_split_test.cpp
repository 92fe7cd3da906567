// GGUF split sets (llama.cpp's gguf-split layout: `model-0000i-of-0000N.gguf`,
// split.no / split.count / split.tensors.count in every shard, metadata in the
// first, no index file) saved and loaded through the sharded-checkpoint
// machinery. The files are checked by the independent numpy reader.
#include "gguf_test_util.hpp"

#include "../cli/cli_support.hpp"

#include <gtest/gtest.h>

#include <weightio/weightio.hpp>

#include <fstream>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using weightio::DType;
using weightio::Value;
using weightio::ValueType;

// Five 1 KiB float32 tensors with distinct bytes.
struct Model {
  std::vector<float> values = std::vector<float>(5 * 256);
  weightio::FlatParams params;
  weightio::SaveOptions options;
  Model() {
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>(i) * 0.5f - 3.0f;
    for (int t = 0; t < 5; ++t)
      params.emplace("blk." + std::to_string(t) + ".w",
                     weightio::TensorView(DType::F32, {16, 16}, values.data() + 256 * t));
    options.metadata.set("general.architecture", Value("llama"));
    options.metadata.set("llama.block_count", Value::unsigned_integer(ValueType::U32, 5));
    // 2 tensors fit in a shard, the third tips it over: 3 shards (2, 2, 1).
    options.max_shard_bytes = 2500;
  }
};

json read_independently(const fs::path &file) {
  const auto r = wtest::run_python(wtest::python_script("gguf_numpy_reader.py"), {file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

json entry(const std::string &key, const std::string &type, json value) {
  return {{"key", key}, {"type", type}, {"value", std::move(value)}};
}

TEST(GgufSplit, SaveWritesGgufSplitsLayoutWithoutIndex) {
  wtest::TempDir dir;
  Model m;
  weightio::save_weights(dir / "model.gguf", m.params, m.options);
  EXPECT_FALSE(fs::exists(dir / "model.gguf"));
  EXPECT_FALSE(fs::exists(dir / "model.gguf.index.json"));
  size_t files = 0;
  for (const auto &e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 3u); // the shards alone: no lock, record or staged file left

  const size_t per_shard[] = {2, 2, 1};
  size_t tensor = 0;
  for (int i = 0; i < 3; ++i) {
    const fs::path shard = dir / ("model-0000" + std::to_string(i + 1) + "-of-00003.gguf");
    SCOPED_TRACE(shard.string());
    const json j = read_independently(shard);
    json expected = json::array();
    if (i == 0) {
      expected.push_back(entry("general.architecture", "STRING", "llama"));
      expected.push_back(entry("llama.block_count", "UINT32", 5));
    }
    expected.push_back(entry("split.no", "UINT16", i));
    expected.push_back(entry("split.count", "UINT16", 3));
    expected.push_back(entry("split.tensors.count", "INT32", 5));
    EXPECT_EQ(j["metadata"], expected);
    ASSERT_EQ(j["tensors"].size(), per_shard[i]);
    for (const auto &t : j["tensors"]) {
      EXPECT_EQ(t["name"], "blk." + std::to_string(tensor) + ".w");
      EXPECT_EQ(t["sha256"], wtest::sha256_hex(m.values.data() + 256 * tensor, 1024));
      ++tensor;
    }
  }
}

TEST(GgufSplit, SetLoadsAsOneModelFromFolderOrFirstShard) {
  wtest::TempDir dir;
  Model m;
  weightio::save_weights(dir / "model.gguf", m.params, m.options);
  weightio::LoadOptions whole;
  whole.whole_set = true;
  for (const fs::path &p : {fs::path(dir.path()), dir / "model-00001-of-00003.gguf",
                            dir / "model-00003-of-00003.gguf"}) {
    SCOPED_TRACE(p.string());
    const weightio::Weights w = weightio::load_weights(p, whole);
    EXPECT_EQ(w.format, "gguf");
    ASSERT_EQ(w.size(), 5u);
    for (int t = 0; t < 5; ++t) {
      const auto &x = w.at("blk." + std::to_string(t) + ".w");
      EXPECT_EQ(x.shape(), (weightio::Shape{16, 16}));
      EXPECT_EQ(std::memcmp(x.data(), m.values.data() + 256 * t, 1024), 0);
    }
    // The set's layout is not the model's metadata.
    EXPECT_EQ(w.metadata, m.options.metadata);
    EXPECT_TRUE(w.warnings.empty());
  }
  // Without whole_set, a shard is a file like any other: its own keys show.
  const weightio::Weights one = weightio::load_weights(dir / "model-00002-of-00003.gguf");
  EXPECT_EQ(one.size(), 2u);
  EXPECT_EQ(one.metadata.at("split.no"), Value::unsigned_integer(ValueType::U16, 1));

  // `only` opens the shards holding those names.
  weightio::LoadOptions only = whole;
  only.only = {"blk.4.w"};
  EXPECT_EQ(weightio::load_weights(dir.path(), only).size(), 1u);

  const weightio::CheckpointLayout layout = weightio::describe_checkpoint(dir.path());
  EXPECT_TRUE(layout.sharded);
  ASSERT_EQ(layout.shards.size(), 3u);
  EXPECT_EQ(layout.shards[2].tensors, std::vector<std::string>{"blk.4.w"});
}

TEST(GgufSplit, ConvertingTheSetToOneFileDropsTheSplitKeys) {
  wtest::TempDir dir;
  Model m;
  fs::create_directories(dir / "set");
  weightio::save_weights(dir / "set" / "model.gguf", m.params, m.options);
  const fs::path one = dir / "one.gguf";
  const auto r = wcli_test::run_cli({"convert", (dir / "set").string(), one.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = read_independently(one);
  EXPECT_EQ(j["metadata"], json::array({entry("general.architecture", "STRING", "llama"),
                                        entry("llama.block_count", "UINT32", 5)}));
  EXPECT_EQ(j["tensors"].size(), 5u);

  // And back into a split set: the CLI's --max-shard-size.
  fs::create_directories(dir / "again");
  const auto back = wcli_test::run_cli(
      {"convert", one.string(), (dir / "again" / "m.gguf").string(), "--max-shard-size", "2500"});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_TRUE(fs::exists(dir / "again" / "m-00003-of-00003.gguf"));
  // The set counts as OUT existing: replaced only with --force, then whole.
  const auto refused =
      wcli_test::run_cli({"convert", one.string(), (dir / "again" / "m.gguf").string()});
  EXPECT_EQ(refused.exit_code, 2) << refused.err; // as for an existing OUT
  EXPECT_NE(refused.err.find("m-00001-of-00003.gguf"), std::string::npos) << refused.err;
  EXPECT_TRUE(fs::exists(dir / "again" / "m-00003-of-00003.gguf"));
  const auto forced =
      wcli_test::run_cli({"convert", one.string(), (dir / "again" / "m.gguf").string(), "--force",
                          "--max-shard-size", "4096"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_TRUE(fs::exists(dir / "again" / "m-00002-of-00002.gguf"));
  EXPECT_FALSE(fs::exists(dir / "again" / "m-00003-of-00003.gguf"));
  const auto inspect = wcli_test::run_cli({"inspect", (dir / "again").string()});
  EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_NE(inspect.out.find("m-00002-of-00002.gguf"), std::string::npos) << inspect.out;
  EXPECT_NE(inspect.out.find("set "), std::string::npos) << inspect.out;
}

TEST(GgufSplit, ResavingReplacesTheWholeSet) {
  wtest::TempDir dir;
  Model m;
  weightio::save_weights(dir / "model.gguf", m.params, m.options);
  // Fewer, larger shards: the old set's extra shards go.
  Model bigger;
  bigger.options.max_shard_bytes = 4096;
  weightio::save_weights(dir / "model.gguf", bigger.params, bigger.options);
  EXPECT_TRUE(fs::exists(dir / "model-00002-of-00002.gguf"));
  for (int i = 1; i <= 3; ++i)
    EXPECT_FALSE(fs::exists(dir / ("model-0000" + std::to_string(i) + "-of-00003.gguf"))) << i;
  // A one-file save replaces the set as a whole.
  Model single;
  single.options.max_shard_bytes = 0;
  weightio::save_weights(dir / "model.gguf", single.params, single.options);
  EXPECT_TRUE(fs::exists(dir / "model.gguf"));
  EXPECT_FALSE(fs::exists(dir / "model-00001-of-00002.gguf"));
  EXPECT_FALSE(fs::exists(dir / "model-00002-of-00002.gguf"));
}

TEST(GgufSplit, BrokenSetsAreRefusedNamingTheShard) {
  Model m;
  weightio::LoadOptions whole;
  whole.whole_set = true;
  {
    wtest::TempDir dir;
    weightio::save_weights(dir / "model.gguf", m.params, m.options);
    fs::remove(dir / "model-00002-of-00003.gguf");
    try {
      weightio::load_weights(dir / "model-00001-of-00003.gguf", whole);
      ADD_FAILURE() << "a set with a missing shard loaded";
    } catch (const weightio::Error &e) {
      EXPECT_NE(std::string(e.what()).find("model-00002-of-00003.gguf"), std::string::npos)
          << e.what();
    }
  }
  {
    // A shard of another set under a name of this one: its keys disagree.
    wtest::TempDir dir;
    weightio::save_weights(dir / "model.gguf", m.params, m.options);
    fs::copy_file(dir / "model-00001-of-00003.gguf", dir / "x.gguf");
    fs::remove(dir / "model-00002-of-00003.gguf");
    fs::rename(dir / "x.gguf", dir / "model-00002-of-00003.gguf");
    try {
      weightio::load_weights(dir / "model-00001-of-00003.gguf", whole);
      ADD_FAILURE() << "a set with a misnumbered shard loaded";
    } catch (const weightio::FormatError &e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("model-00002-of-00003.gguf' says it is split.no 0"), std::string::npos)
          << what;
    }
  }
  {
    // A shard without split keys.
    wtest::TempDir dir;
    weightio::save_weights(dir / "model.gguf", m.params, m.options);
    weightio::FlatParams p;
    p.emplace("x", m.params.at("blk.0.w"));
    weightio::save_weights(dir / "plain.gguf", p);
    fs::remove(dir / "model-00003-of-00003.gguf");
    fs::rename(dir / "plain.gguf", dir / "model-00003-of-00003.gguf");
    try {
      weightio::load_weights(dir / "model-00001-of-00003.gguf", whole);
      ADD_FAILURE() << "a set with a shard lacking split keys loaded";
    } catch (const weightio::FormatError &e) {
      EXPECT_NE(std::string(e.what()).find("has no 'split.no' key"), std::string::npos) << e.what();
    }
  }
}

} // namespace
