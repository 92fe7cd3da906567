// The shard planner and the index writer against a Python re-implementation
// of huggingface_hub's split rule and transformers' index (tests/python/
// shard_reference.py).
#include "checkpoint/checkpoint_name.hpp"
#include "checkpoint/shard_index.hpp"
#include "checkpoint/shard_plan.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

struct Case {
  std::string label;
  std::vector<std::pair<std::string, uint64_t>> tensors; // name, bytes
  uint64_t max_bytes;
};

// Plans and writes the index as weightio does, then asks Python for its.
void expect_same_as_python(const Case &c, const std::string &ext) {
  SCOPED_TRACE(c.label + " " + ext);
  // Byte buffers big enough for the largest tensor; shapes are 1-D U8.
  uint64_t largest = 0;
  for (auto &t : c.tensors)
    largest = std::max(largest, t.second);
  std::vector<uint8_t> bytes(largest);
  FlatParams params;
  for (auto &[name, n] : c.tensors)
    params.emplace(name, TensorView(DType::U8, {static_cast<int64_t>(n)}, bytes.data()));

  const detail::ShardPlan plan = detail::plan_shards(params, c.max_bytes);
  const detail::CheckpointName stem{".", "model", ext};
  std::vector<std::pair<std::string, std::vector<std::string>>> files;
  std::vector<std::pair<std::string, std::string>> weight_map;
  std::vector<std::string> names;
  for (auto &[name, v] : params)
    names.push_back(name);
  for (size_t s = 0; s < plan.shards.size(); ++s) {
    const std::string file =
        plan.shards.size() == 1 ? stem.single() : stem.shard(s + 1, plan.shards.size());
    files.emplace_back(file, std::vector<std::string>{});
    for (size_t i : plan.shards[s]) {
      files.back().second.push_back(names[i]);
      weight_map.emplace_back(names[i], file);
    }
  }

  wtest::TempDir dir;
  nlohmann::json spec;
  spec["max_bytes"] = c.max_bytes;
  spec["base"] = "model";
  spec["ext"] = ext;
  spec["tensors"] = nlohmann::json::array();
  for (auto &[name, n] : c.tensors)
    spec["tensors"].push_back({name, n});
  std::ofstream(dir / "spec.json") << spec.dump();
  auto r = wtest::run_python(wtest::python_script("shard_reference.py"),
                             {"plan", (dir / "spec.json").string(), (dir / "out.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto want = nlohmann::json::parse(wtest::read_text(dir / "out.json"));

  ASSERT_EQ(files.size(), want["files"].size());
  for (size_t s = 0; s < files.size(); ++s) {
    EXPECT_EQ(files[s].first, want["files"][s][0].get<std::string>());
    EXPECT_EQ(files[s].second, want["files"][s][1].get<std::vector<std::string>>());
  }
  uint64_t total = 0;
  for (auto &t : c.tensors)
    total += t.second;
  EXPECT_EQ(plan.total_size, total);
  if (files.size() > 1)
    EXPECT_EQ(detail::index_json(plan.total_size, weight_map), want["index"].get<std::string>());
  else
    EXPECT_TRUE(want["index"].is_null());
}

std::vector<Case> cases() {
  return {
      {"one shard", {{"a", 10}, {"b", 20}, {"c", 30}}, 1000},
      {"exactly full", {{"a", 50}, {"b", 50}, {"c", 1}}, 100},
      {"two shards", {{"w.0", 60}, {"w.1", 60}}, 100},
      // Oversize tensors get their own shard, numbered where they are met,
      // while the open shard keeps filling.
      {"oversize in the middle", {{"a", 8}, {"huge", 500}, {"c", 8}, {"d", 90}, {"e", 8}}, 100},
      {"oversize first and last", {{"big1", 101}, {"x", 1}, {"big2", 200}}, 100},
      {"zero-byte tensors", {{"z0", 0}, {"a", 100}, {"z1", 0}, {"b", 1}}, 100},
      {"many shards",
       [] {
         std::vector<std::pair<std::string, uint64_t>> t;
         for (int i = 0; i < 40; ++i)
           t.emplace_back("layers." + std::to_string(i) + ".weight", 30 + (i * 7) % 50);
         return t;
       }(),
       100},
      // Sorted by code point and escaped as Python does: é (U+00E9), 层
      // (U+5C42), U+FFFD, 😀 (U+1F600, a surrogate pair in \u escapes and
      // after U+FFFD in code point order, before it in UTF-16 order), quotes,
      // backslash, control characters, DEL.
      {"non-ASCII and escaped names",
       {{"caf\xc3\xa9.w", 40},
        {"\xe5\xb1\x82.0", 40},
        {"\xef\xbf\xbd", 40},
        {"\xf0\x9f\x98\x80.emoji", 40},
        {"quote\"back\\slash", 40},
        {"tab\tnl\nbell\x07", 40},
        {"del\x7f", 40},
        {"plain/slash", 40},
        {"A", 40},
        {"a", 40}},
       100},
  };
}

} // namespace

TEST(ShardPlan, MatchesHuggingFaceHubAndTransformersSafetensors) {
  for (const auto &c : cases())
    expect_same_as_python(c, ".safetensors");
}

TEST(ShardPlan, MatchesHuggingFaceHubAndTransformersNpz) {
  for (const auto &c : cases())
    expect_same_as_python(c, ".npz");
}

TEST(ShardPlan, NoLimitIsOneShardAndNoTensorsNone) {
  std::vector<float> v(4);
  FlatParams p;
  p.emplace("a", TensorView(DType::F32, {4}, v.data()));
  p.emplace("b", TensorView(DType::F32, {4}, v.data()));
  EXPECT_EQ(detail::plan_shards(p, 0).shards.size(), 1u);
  EXPECT_TRUE(detail::plan_shards(FlatParams{}, 10).shards.empty());
}

TEST(ShardIndex, InvalidUtf8NameIsRefusedNamingIt) {
  try {
    detail::index_json(1, {{"bad\xff", "model-00001-of-00002.npz"}});
    FAIL() << "no error";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(e.tensor(), "bad\xff");
  }
}

TEST(CheckpointName, ShardAndIndexNames) {
  auto n = detail::CheckpointName::from_weights_path("out/model.safetensors");
  EXPECT_EQ(n.dir, fs::path("out"));
  EXPECT_EQ(n.shard(2, 4), "model-00002-of-00004.safetensors");
  EXPECT_EQ(n.shard(3, 123456), "model-00003-of-123456.safetensors");
  EXPECT_EQ(n.index(), "model.safetensors.index.json");
  EXPECT_TRUE(n.is_shard_name("model-00002-of-00004.safetensors"));
  EXPECT_FALSE(n.is_shard_name("model-0002-of-00004.safetensors"));
  EXPECT_FALSE(n.is_shard_name("model-00002-of-00004.npz"));
  EXPECT_FALSE(n.is_shard_name("other-00002-of-00004.safetensors"));
  auto s = detail::CheckpointName::from_shard_path("d/model-00002-of-00004.safetensors");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->base, "model");
  EXPECT_EQ(s->ext, ".safetensors");
  EXPECT_FALSE(detail::CheckpointName::from_shard_path("d/model.safetensors"));
  auto i = detail::CheckpointName::from_index_path("d/w.npz.index.json");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->single(), "w.npz");
  for (const char *bad : {"", ".", "..", "a/b", "/etc/passwd", "../x"})
    EXPECT_FALSE(detail::is_plain_file_name(bad)) << bad;
  EXPECT_FALSE(detail::is_plain_file_name(std::string("a\0b", 3)));
  EXPECT_TRUE(detail::is_plain_file_name("..model"));
}
