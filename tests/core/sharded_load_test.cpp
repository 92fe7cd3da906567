// Loading sharded checkpoints: the reference checkpoints in tests/data/sharded
// (shards written by the official safetensors library, transformers- and
// MLX-LM-style indexes, broken ones), folders, the Hugging Face cache's
// symlinks, `only`, load_weights_into and whole_set.
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/inotify.h>
#include <unistd.h>

#include <set>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

fs::path ref(const std::string &name) {
  return wtest::data_path("sharded/" + name);
}

nlohmann::json expected(const std::string &name) {
  return nlohmann::json::parse(wtest::read_text(ref(name) / "expected.json"));
}

// The tensors and their shards are those expected.json lists.
void expect_reference_tensors(const Weights &w, const nlohmann::json &want) {
  ASSERT_EQ(w.size(), want["tensors"].size());
  for (const auto &[name, e] : want["tensors"].items()) {
    SCOPED_TRACE(name);
    const Tensor *t = w.find(name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(dtype_name(t->dtype()), e["dtype"].get<std::string>());
    EXPECT_EQ(t->shape(), e["shape"].get<Shape>());
    EXPECT_EQ(wtest::sha256_hex(t->data(), t->nbytes()), e["sha256"].get<std::string>());
  }
}

std::vector<std::string> reference_cases(char kind) {
  std::vector<std::string> out;
  for (const auto &e : fs::directory_iterator(wtest::data_path("sharded")))
    if (e.is_directory() && e.path().filename().string()[0] == kind)
      out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Names of the files in `dir` opened while `body` runs (inotify IN_OPEN).
std::set<std::string> files_opened(const fs::path &dir, const std::function<void()> &body) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_GE(::inotify_add_watch(fd, dir.c_str(), IN_OPEN), 0);
  body();
  std::set<std::string> out;
  alignas(inotify_event) char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0)
      break;
    for (char *p = buf; p < buf + n;) {
      auto *ev = reinterpret_cast<inotify_event *>(p);
      if (ev->len)
        out.insert(ev->name);
      p += sizeof(inotify_event) + ev->len;
    }
  }
  ::close(fd);
  return out;
}

void copy_tree(const fs::path &from, const fs::path &to) {
  fs::copy(from, to, fs::copy_options::recursive);
  for (auto &e : fs::recursive_directory_iterator(to))
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
}

} // namespace

TEST(ShardedConformance, EveryValidReferenceLoadsByIndexAndByFolder) {
  const auto cases = reference_cases('s');
  ASSERT_EQ(cases.size(), 5u);
  for (const auto &c : cases) {
    SCOPED_TRACE(c);
    const auto want = expected(c);
    ASSERT_TRUE(want["valid"].get<bool>());
    Weights by_index = load_weights(ref(c) / "model.safetensors.index.json");
    expect_reference_tensors(by_index, want);
    EXPECT_EQ(by_index.format, "safetensors");
    expect_reference_tensors(load_weights(ref(c)), want);

    // Each tensor in the shard expected.json names.
    const CheckpointLayout layout = describe_checkpoint(ref(c));
    EXPECT_TRUE(layout.sharded);
    EXPECT_EQ(layout.entry, ref(c) / "model.safetensors.index.json");
    for (const auto &s : layout.shards) {
      EXPECT_EQ(s.file_bytes, fs::file_size(ref(c) / s.file));
      for (const auto &t : s.tensors)
        EXPECT_EQ(want["tensors"][t]["shard"].get<std::string>(), s.file) << t;
    }
    if (want.contains("warning")) {
      ASSERT_EQ(by_index.warnings.size(), 1u);
      EXPECT_NE(by_index.warnings[0].find("total_size"), std::string::npos) << by_index.warnings[0];
    } else {
      EXPECT_TRUE(by_index.warnings.empty());
    }
  }
}

TEST(ShardedConformance, OversizeTensorIsShardOne) {
  const auto layout = describe_checkpoint(ref("s03_oversize_tensor_own_shard"));
  ASSERT_EQ(layout.shards.size(), 2u);
  EXPECT_EQ(layout.shards[0].tensors, std::vector<std::string>{"b.huge"});
  // Loaded in shard order, then as in each shard.
  Weights w = load_weights(ref("s03_oversize_tensor_own_shard"));
  EXPECT_EQ(w.begin()->first, "b.huge");
}

TEST(ShardedConformance, IndexMetadataIsKeptWhateverTheKeys) {
  auto meta = [](const std::string &c) {
    auto m = describe_checkpoint(ref(c)).index_metadata;
    return std::map<std::string, std::string>(m.begin(), m.end());
  };
  auto s05 = meta("s05_extra_index_metadata");
  EXPECT_EQ(s05["format"], "pt");
  EXPECT_EQ(s05["note"], "kept, shown");
  EXPECT_EQ(s05["total_size"], "7296");
  auto s02 = meta("s02_mlx_lm_style");
  EXPECT_EQ(s02["total_parameters"], "33936");
  EXPECT_EQ(s02["total_size"], "68160");
  // The shards' own metadata comes back too.
  EXPECT_EQ(load_weights(ref("s02_mlx_lm_style")).metadata.at("format"), "mlx");
}

TEST(ShardedConformance, EveryBrokenReferenceIsRefusedNamingTheProblem) {
  struct Want {
    std::string case_name;
    std::vector<std::string> in_message;
  };
  const std::vector<Want> wants = {
      {"r01_missing_shard", {"model-00005-of-00005.safetensors", "does not exist"}},
      {"r02_tensor_not_in_its_shard", {"model.ghost.weight", "model-00001-of-00004.safetensors"}},
      {"r03_shard_tensor_not_in_map", {"which weight_map does not list"}},
      {"r04_path_escape_dotdot", {"outside", "../model-0000"}},
      {"r05_path_escape_absolute", {"outside", "/etc/hostname"}},
      {"r06_weight_map_not_object", {"weight_map", "not an object"}},
      {"r07_index_truncated", {"not valid JSON"}},
  };
  const auto cases = reference_cases('r');
  ASSERT_EQ(cases.size(), wants.size());
  for (const auto &w : wants) {
    SCOPED_TRACE(w.case_name);
    EXPECT_FALSE(expected(w.case_name)["valid"].get<bool>());
    for (const fs::path &p :
         {ref(w.case_name), ref(w.case_name) / "model.safetensors.index.json"}) {
      try {
        load_weights(p);
        ADD_FAILURE() << "loaded";
      } catch (const Error &e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("model.safetensors.index.json"), std::string::npos) << m;
        for (const auto &s : w.in_message)
          EXPECT_NE(m.find(s), std::string::npos) << s << " not in: " << m;
      }
    }
  }
  // r03: the one unmapped tensor is named.
  const auto idx = nlohmann::json::parse(
      wtest::read_text(ref("r03_shard_tensor_not_in_map") / "model.safetensors.index.json"));
  const auto full = expected("s04_total_size_wrong"); // the same llama(1, 16) names
  std::string unmapped;
  for (const auto &[name, e] : full["tensors"].items())
    if (!idx["weight_map"].contains(name))
      unmapped = name;
  ASSERT_FALSE(unmapped.empty());
  try {
    load_weights(ref("r03_shard_tensor_not_in_map"));
  } catch (const FormatError &e) {
    EXPECT_NE(std::string(e.what()).find("'" + unmapped + "'"), std::string::npos) << e.what();
  }
}

TEST(ShardedLoad, TensorInTwoShardsAndEveryProblemListed) {
  wtest::TempDir dir;
  copy_tree(ref("s04_total_size_wrong"), dir / "c");
  // Shard 2 replaced by a copy of shard 1: shard 1's tensors are in two
  // shards, shard 2's are in none.
  fs::copy_file(dir / "c/model-00001-of-00004.safetensors",
                dir / "c/model-00002-of-00004.safetensors", fs::copy_options::overwrite_existing);
  try {
    load_weights(dir / "c");
    FAIL();
  } catch (const FormatError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("is in more than one shard: 'model-00001-of-00004.safetensors', "
                     "'model-00002-of-00004.safetensors'"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("which lacks it"), std::string::npos) << m;
  }
}

TEST(ShardedLoad, HuggingFaceCacheSymlinksAreFollowed) {
  wtest::TempDir dir;
  const fs::path src = ref("s01_transformers_sharded");
  fs::create_directories(dir / "blobs");
  fs::create_directories(dir / "snapshots/0123abcd");
  for (const auto &e : fs::directory_iterator(src)) {
    const std::string name = e.path().filename().string();
    if (name == "expected.json")
      continue;
    const auto bytes = wtest::read_bytes(e.path());
    const std::string hash = wtest::sha256_hex(bytes.data(), bytes.size());
    wtest::write_bytes(dir / "blobs" / hash, bytes);
    fs::create_symlink(fs::path("../../blobs") / hash, dir / "snapshots/0123abcd" / name);
  }
  const auto want = expected("s01_transformers_sharded");
  expect_reference_tensors(load_weights(dir / "snapshots/0123abcd"), want);
  expect_reference_tensors(load_weights(dir / "snapshots/0123abcd/model.safetensors.index.json"),
                           want);
}

TEST(ShardedLoad, OnlyOpensTheShardsItNeeds) {
  const fs::path c = ref("s01_transformers_sharded");
  const auto layout = describe_checkpoint(c);
  ASSERT_EQ(layout.shards.size(), 5u);
  LoadOptions o;
  o.only = {layout.shards[1].tensors[0], layout.shards[3].tensors[0]};
  Weights w;
  const auto opened = files_opened(c, [&] { w = load_weights(c, o); });
  EXPECT_EQ(w.size(), 2u);
  EXPECT_EQ(opened, (std::set<std::string>{"model.safetensors.index.json", layout.shards[1].file,
                                           layout.shards[3].file}));
  const auto want = expected("s01_transformers_sharded");
  for (const auto &[name, t] : w)
    EXPECT_EQ(wtest::sha256_hex(t.data(), t.nbytes()),
              want["tensors"][name]["sha256"].get<std::string>());
  o.only = {"no.such.tensor"};
  try {
    load_weights(c, o);
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("'no.such.tensor'"), std::string::npos);
  }
}

TEST(ShardedLoad, LoadIntoIsStrictAcrossShards) {
  const fs::path c = ref("s03_oversize_tensor_own_shard");
  std::vector<float> a(8), b(64 * 64);
  std::vector<int64_t> cc(4);
  std::vector<uint8_t> d(16);
  MutableParams dst;
  dst.emplace("a.small", {DType::F32, {8}, a.data()});
  dst.emplace("b.huge", {DType::F32, {64, 64}, b.data()});
  dst.emplace("c.small", {DType::I64, {4}, cc.data()});
  dst.emplace("d.mask", {DType::U8, {16}, d.data()});
  EXPECT_EQ(load_weights_into(c, dst).size(), 4u);
  const auto want = expected("s03_oversize_tensor_own_shard");
  EXPECT_EQ(wtest::sha256_hex(b.data(), b.size() * 4),
            want["tensors"]["b.huge"]["sha256"].get<std::string>());
  EXPECT_EQ(wtest::sha256_hex(d.data(), d.size()),
            want["tensors"]["d.mask"]["sha256"].get<std::string>());

  MutableParams short_of_one;
  short_of_one.emplace("a.small", {DType::F32, {8}, a.data()});
  short_of_one.emplace("b.huge", {DType::F32, {64, 64}, b.data()});
  short_of_one.emplace("c.small", {DType::I64, {4}, cc.data()});
  try {
    load_weights_into(c, short_of_one);
    FAIL();
  } catch (const MismatchError &e) {
    EXPECT_NE(std::string(e.what()).find("unexpected 'd.mask'"), std::string::npos) << e.what();
  }
}

TEST(ShardedLoad, OneShardAloneUnlessTheWholeSetIsAsked) {
  const fs::path c = ref("s03_oversize_tensor_own_shard");
  Weights one = load_weights(c / "model-00002-of-00002.safetensors");
  EXPECT_EQ(one.size(), 3u);
  LoadOptions o;
  o.whole_set = true;
  EXPECT_EQ(load_weights(c / "model-00002-of-00002.safetensors", o).size(), 4u);
}

TEST(ShardedLoad, FolderPicksItsIndexOrItsOneFileOrListsCandidates) {
  wtest::TempDir dir;
  // Mistral-style: consolidated.safetensors beside the shards and index.
  copy_tree(ref("s03_oversize_tensor_own_shard"), dir / "m");
  fs::copy_file(dir / "m/model-00002-of-00002.safetensors", dir / "m/consolidated.safetensors");
  EXPECT_EQ(load_weights(dir / "m").size(), 4u);
  // Without the index: two weights files, both named.
  fs::remove(dir / "m/model.safetensors.index.json");
  try {
    load_weights(dir / "m");
    FAIL();
  } catch (const IoError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'consolidated.safetensors'"), std::string::npos) << m;
    EXPECT_NE(m.find("'model-00001-of-00002.safetensors'"), std::string::npos) << m;
  }
  // One weights file (and other files): that one.
  fs::create_directories(dir / "one");
  fs::copy_file(dir / "m/consolidated.safetensors", dir / "one/w.safetensors");
  wtest::write_bytes(dir / "one/README.md", {'h', 'i'});
  EXPECT_EQ(load_weights(dir / "one").size(), 3u);
  EXPECT_EQ(describe_checkpoint(dir / "one").entry, dir / "one/w.safetensors");
}
