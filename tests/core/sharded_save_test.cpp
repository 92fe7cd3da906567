// Sharded saves: file names, index bytes and shard contents as huggingface_hub
// and transformers would write them (tests/python/shard_reference.py, numpy
// reading the shards), round trips, and what replaces what.
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

// Mixed dtypes and sizes, non-ASCII names (escaped and sorted in the index).
struct Model {
  std::vector<std::vector<uint8_t>> bytes;
  FlatParams params;
  explicit Model(int layers, uint8_t seed = 1) {
    auto add = [&](const std::string &name, DType d, Shape shape) {
      const uint64_t n = shape_nbytes(d, shape);
      bytes.emplace_back(n);
      for (uint64_t i = 0; i < n; ++i)
        bytes.back()[i] = static_cast<uint8_t>((i * 31 + seed * 7 + bytes.size()) & 0x3f);
      params.emplace(name, TensorView(d, std::move(shape), bytes.back().data()));
    };
    add("embed.weight", DType::F32, {16, 8});
    for (int l = 0; l < layers; ++l) {
      const std::string p = "layers." + std::to_string(l) + ".";
      add(p + "attn.weight", DType::F16, {8, 8});
      add(p + "mlp.weight", DType::F32, {8, 12});
      add(p + "norm.caf\xc3\xa9", DType::F32, {8});
      add(p + "\xe5\xb1\x82.\xf0\x9f\x98\x80", DType::I64, {3});
      add(p + "mask", DType::U8, {5});
    }
    add("lm_head.weight", DType::F32, {16, 8});
  }
};

std::string ext_of(const std::string &format) {
  return format == "npz" ? ".npz" : ".safetensors";
}

void expect_same(const Weights &w, const FlatParams &p) {
  ASSERT_EQ(w.size(), p.size());
  for (const auto &[name, v] : p) {
    const Tensor *t = w.find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->dtype(), v.dtype()) << name;
    EXPECT_EQ(t->shape(), v.shape()) << name;
    ASSERT_EQ(t->nbytes(), v.nbytes()) << name;
    EXPECT_EQ(std::memcmp(t->data(), v.data(), v.nbytes()), 0) << name;
  }
}

std::vector<std::string> listing(const fs::path &dir) {
  std::vector<std::string> out;
  for (const auto &e : fs::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// After a save, no file of weightio's own (lock, record, staged) is left.
std::vector<std::string> visible(const fs::path &dir) {
  return listing(dir);
}

} // namespace

TEST(ShardedSave, FilesIndexAndShardsAreWhatTransformersWrites) {
  for (const std::string format : {"npz", "safetensors"}) {
    // 1 shard (no limit hit), 2 shards, many shards with an oversize tensor.
    for (uint64_t max : {uint64_t{1} << 30, uint64_t{1200}, uint64_t{300}}) {
      SCOPED_TRACE(format + " max " + std::to_string(max));
      Model m(max == 1200 ? 1 : 3);
      wtest::TempDir dir;
      fs::create_directories(dir / "ref");
      fs::create_directories(dir / "out");
      save_weights(dir / "ref/ref.npz", m.params); // numpy reads it
      SaveOptions o;
      o.max_shard_bytes = max;
      save_weights(dir / "out" / ("model" + ext_of(format)), m.params, o);
      const auto r = wtest::run_python(wtest::python_script("shard_reference.py"),
                                       {"check", (dir / "out").string(), "model", ext_of(format),
                                        std::to_string(max), (dir / "ref/ref.npz").string()});
      EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
      const size_t files = listing(dir / "out").size();
      if (max == (uint64_t{1} << 30))
        EXPECT_EQ(files, 1u);
      else if (max == 1200)
        EXPECT_EQ(files, 3u); // 2 shards + index
      else
        EXPECT_GT(files, 6u);
      expect_same(load_weights(dir / "out"), m.params);
    }
  }
}

TEST(ShardedSave, MetadataGoesIntoEveryShard) {
  Model m(2);
  wtest::TempDir dir;
  SaveOptions o;
  o.max_shard_bytes = 400;
  o.metadata = {{"format", "mlx"}};
  save_weights(dir / "model.safetensors", m.params, o);
  const auto layout = describe_checkpoint(dir.path());
  ASSERT_GT(layout.shards.size(), 2u);
  for (const auto &s : layout.shards)
    EXPECT_EQ(load_weights(dir / s.file).metadata, o.metadata) << s.file;
  EXPECT_EQ(load_weights(dir.path()).metadata, o.metadata);
}

TEST(ShardedSave, ResaveReplacesThePreviousCheckpointAndNothingElse) {
  wtest::TempDir dir;
  const auto path = dir / "model.safetensors";
  wtest::write_bytes(dir / "notes.txt", {'k', 'e', 'e', 'p'});
  wtest::write_bytes(dir / "model-00009-of-00009.safetensors", {'x'}); // not in any index
  Model a(3, 1), b(1, 2), c(2, 3);
  SaveOptions o;
  o.max_shard_bytes = 300;
  save_weights(path, a.params, o);
  const auto first = describe_checkpoint(dir.path()).shards.size();
  ASSERT_GT(first, 4u);
  // Fewer shards: the old ones the new index does not name are gone.
  o.max_shard_bytes = 1200;
  save_weights(path, b.params, o);
  EXPECT_EQ(visible(dir.path()),
            (std::vector<std::string>{
                "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "model-00009-of-00009.safetensors", "model.safetensors.index.json", "notes.txt"}));
  expect_same(load_weights(dir.path()), b.params);
  // A one-file save (no limit) over a sharded checkpoint replaces it whole.
  save_weights(path, c.params);
  EXPECT_EQ(visible(dir.path()), (std::vector<std::string>{"model-00009-of-00009.safetensors",
                                                           "model.safetensors", "notes.txt"}));
  expect_same(load_weights(path), c.params);
  // And back to shards: the single file goes.
  o.max_shard_bytes = 1200;
  save_weights(path, b.params, o);
  EXPECT_FALSE(fs::exists(path));
  expect_same(load_weights(dir / "model.safetensors.index.json"), b.params);
}

TEST(ShardedSave, SymlinkedShardsAreReplacedNotWrittenThrough) {
  wtest::TempDir dir;
  fs::create_directories(dir / "blobs");
  fs::create_directories(dir / "snap");
  Model a(1, 1), b(1, 2);
  SaveOptions o;
  o.max_shard_bytes = 1200;
  save_weights(dir / "blobs/model.safetensors", a.params, o);
  // The Hugging Face cache: snapshot names link to shared blobs.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> blobs;
  for (const auto &n : visible(dir / "blobs")) {
    fs::create_symlink(fs::path("../blobs") / n, dir / "snap" / n);
    blobs.emplace_back(n, wtest::read_bytes(dir / "blobs" / n));
  }
  save_weights(dir / "snap/model.safetensors", b.params, o);
  for (const auto &[n, bytes] : blobs) {
    EXPECT_EQ(wtest::read_bytes(dir / "blobs" / n), bytes) << n;
    EXPECT_FALSE(fs::is_symlink(dir / "snap" / n)) << n;
  }
  expect_same(load_weights(dir / "snap"), b.params);
  expect_same(load_weights(dir / "blobs"), a.params);
}

TEST(ShardedSave, NpzShardsAndProgressOverTheSet) {
  Model m(3);
  wtest::TempDir dir;
  SaveOptions o;
  o.max_shard_bytes = 300;
  uint64_t last = 0, total = 0;
  bool monotonic = true;
  o.progress = [&](uint64_t done, uint64_t t) {
    monotonic = monotonic && done >= last;
    last = done;
    total = t;
    return true;
  };
  save_weights(dir / "w.npz", m.params, o);
  EXPECT_TRUE(monotonic);
  uint64_t bytes = 0;
  for (const auto &[n, v] : m.params)
    bytes += v.nbytes();
  EXPECT_EQ(total, bytes);
  EXPECT_TRUE(fs::exists(dir / "w.npz.index.json"));
  expect_same(load_weights(dir / "w.npz.index.json"), m.params);
}

TEST(ShardedSave, CancelledSaveLeavesTheOldCheckpoint) {
  Model a(2, 1), b(2, 2);
  wtest::TempDir dir;
  SaveOptions o;
  o.max_shard_bytes = 300;
  save_weights(dir / "model.safetensors", a.params, o);
  const auto before = visible(dir.path());
  o.progress = [](uint64_t, uint64_t) { return false; };
  try {
    save_weights(dir / "model.safetensors", b.params, o);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Cancelled);
  }
  EXPECT_EQ(visible(dir.path()), before);
  expect_same(load_weights(dir.path()), a.params);
}
