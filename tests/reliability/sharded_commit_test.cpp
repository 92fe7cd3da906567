// A sharded save is atomic as a whole: killed (SIGKILL) at every step of its
// commit, or failing on a full disk, it leaves a checkpoint that loads as
// wholly old or wholly new, and the next save or load deals with what it left.
#include "checkpoint/set_commit.hpp"
#include "reliability_support.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>
#include <cstring>
#include <mutex>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

// Tensors t0..t{n-1}, each `floats` floats of `value`.
struct Set {
  wrel::Payload p;
  Set(int tensors, float value) : p(256, tensors, value) {}
};

// Every tensor holds `value`: the checkpoint is wholly one save's.
bool all_equal(const Weights &w, float value, size_t tensors) {
  if (w.size() != tensors)
    return false;
  for (const auto &[name, t] : w) {
    const float *f = static_cast<const float *>(t.data());
    for (size_t i = 0; i < t.nbytes() / 4; ++i)
      if (f[i] != value)
        return false;
  }
  return true;
}

std::string g_kill_at;
void kill_at_step(const char *step) {
  if (g_kill_at == step)
    ::raise(SIGKILL);
}

std::vector<std::string> weightio_files(const fs::path &dir) {
  std::vector<std::string> out;
  for (const auto &e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.find(".weightio-") != std::string::npos)
      out.push_back(n);
  }
  return out;
}

struct Transition {
  std::string label;
  int old_tensors;
  uint64_t old_max; // 0: a one-file save
  int new_tensors;
  uint64_t new_max;
};

} // namespace

TEST(ShardedCommit, KilledAtEveryStepLoadsWhollyOldOrNew) {
  wrel::save_formats(); // plugins loaded before forking
  const std::vector<Transition> transitions = {
      {"same shard names", 6, 2048, 6, 2048}, // 3 -> 3 shards: each rename replaces an old shard
      {"fewer shards", 6, 2048, 4, 3000},     // 3 -> 2: new names, old ones removed
      {"one file to shards", 4, 0, 6, 2048},  // the single file removed
      {"shards to one file", 6, 2048, 4, 1 << 20},
  };
  // gguf: a set without an index (split keys in the shards, as gguf-split).
  for (const auto &format : {std::string("safetensors"), std::string("npz"), std::string("gguf")}) {
    for (const auto &t : transitions) {
      // The steps of this commit, named as the hook reports them.
      std::vector<std::string> steps;
      {
        // Learn the step names from an uninterrupted run.
        wtest::TempDir probe;
        static std::vector<std::string> *seen;
        static std::mutex seen_mutex; // shards report "wrote" from their threads
        std::vector<std::string> names;
        seen = &names;
        detail::set_commit_step_hook([](const char *s) {
          std::lock_guard<std::mutex> lock(seen_mutex);
          seen->push_back(s);
        });
        Set a(t.old_tensors, 1.0f), b(t.new_tensors, 2.0f);
        SaveOptions o;
        o.max_shard_bytes = t.old_max;
        save_weights(probe / ("model." + format), a.p.params, o);
        names.clear();
        o.max_shard_bytes = t.new_max;
        save_weights(probe / ("model." + format), b.p.params, o);
        detail::set_commit_step_hook(nullptr);
        steps = names;
      }
      ASSERT_GE(steps.size(), 5u);
      for (const auto &kill_at : steps) {
        SCOPED_TRACE(format + ", " + t.label + ", killed at '" + kill_at + "'");
        wtest::TempDir dir;
        const fs::path path = dir / ("model." + format);
        Set a(t.old_tensors, 1.0f), b(t.new_tensors, 2.0f), c(5, 3.0f);
        SaveOptions o;
        o.max_shard_bytes = t.old_max;
        save_weights(path, a.p.params, o);
        o.max_shard_bytes = t.new_max;
        const int status = wrel::in_child([&] {
          g_kill_at = kill_at;
          detail::set_commit_step_hook(&kill_at_step);
          save_weights(path, b.p.params, o);
          return 0;
        });
        ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;

        // Before the record exists the old checkpoint is whole; from then on
        // the new one is, and loads present it.
        const bool committed = kill_at == "recorded" || kill_at.rfind("renamed ", 0) == 0 ||
                               kill_at == "removed" || kill_at == "done";
        const fs::path index = dir / ("model." + format + ".index.json");
        // The file a host names: the single file, the index, or (a set
        // without one) its first shard with whole_set. 1 KiB tensors.
        auto entry = [&](uint64_t max, int tensors) {
          if (max == 0 || max == (1 << 20))
            return path;
          if (format != "gguf")
            return index;
          const uint64_t per_shard = max / 1024;
          const uint64_t shards = (static_cast<uint64_t>(tensors) + per_shard - 1) / per_shard;
          char name[64];
          std::snprintf(name, sizeof name, "model-00001-of-%05llu.gguf",
                        static_cast<unsigned long long>(shards));
          return dir / name;
        };
        LoadOptions whole;
        whole.whole_set = true;
        for (const fs::path &p : {dir.path(), committed ? entry(t.new_max, t.new_tensors)
                                                        : entry(t.old_max, t.old_tensors)}) {
          Weights w = load_weights(p, whole);
          if (committed)
            EXPECT_TRUE(all_equal(w, 2.0f, t.new_tensors)) << p;
          else
            EXPECT_TRUE(all_equal(w, 1.0f, t.old_tensors)) << p;
        }
        // The next save completes or discards the interrupted one.
        o.max_shard_bytes = 2048;
        save_weights(path, c.p.params, o);
        EXPECT_TRUE(all_equal(load_weights(dir.path()), 3.0f, 5));
        EXPECT_TRUE(weightio_files(dir.path()).empty());
        std::vector<std::string> names;
        for (const auto &e : fs::directory_iterator(dir.path()))
          names.push_back(e.path().filename().string());
        // 3 shards and the index (none for gguf): nothing of the old saves
        EXPECT_EQ(names.size(), format == "gguf" ? 3u : 4u);
      }
    }
  }
}

TEST(ShardedCommit, LoadNeverWritesWhileACommitIsInterrupted) {
  wrel::save_formats();
  wtest::TempDir dir;
  const fs::path path = dir / "model.safetensors";
  Set a(6, 1.0f), b(6, 2.0f);
  SaveOptions o;
  o.max_shard_bytes = 2048;
  save_weights(path, a.p.params, o);
  const int status = wrel::in_child([&] {
    g_kill_at = "renamed model-00002-of-00003.safetensors";
    detail::set_commit_step_hook(&kill_at_step);
    save_weights(path, b.p.params, o);
    return 0;
  });
  ASSERT_TRUE(WIFSIGNALED(status));
  auto listing = [&] {
    std::vector<std::pair<std::string, uintmax_t>> out;
    for (const auto &e : fs::directory_iterator(dir.path()))
      out.emplace_back(e.path().filename().string(), e.file_size());
    std::sort(out.begin(), out.end());
    return out;
  };
  const auto before = listing();
  EXPECT_TRUE(all_equal(load_weights(dir.path()), 2.0f, 6));
  EXPECT_TRUE(all_equal(load_weights(dir / "model.safetensors.index.json"), 2.0f, 6));
  // Each shard alone, by its name, is the new one too.
  EXPECT_TRUE(all_equal(load_weights(dir / "model-00003-of-00003.safetensors"), 2.0f, 2));
  EXPECT_EQ(listing(), before);
}

TEST(ShardedCommit, UntrustedRecordIsIgnoredAndDiscarded) {
  wrel::save_formats();
  wtest::TempDir dir;
  const fs::path path = dir / "model.safetensors";
  Set a(6, 1.0f), evil(2, 9.0f), c(6, 3.0f);
  SaveOptions o;
  o.max_shard_bytes = 2048;
  save_weights(path, a.p.params, o);
  save_weights(dir / "planted.safetensors", evil.p.params);
  // A record renaming a file that is not a staged file of this stem.
  wtest::write_bytes(dir / ".model.safetensors.weightio-commit", [] {
    const std::string s = R"({"weightio_commit":1,"entry":"model.safetensors","renames":)"
                          R"([["planted.safetensors","model.safetensors"]],"removes":[]})";
    return std::vector<uint8_t>(s.begin(), s.end());
  }());
  EXPECT_TRUE(all_equal(load_weights(dir.path()), 1.0f, 6));
  // A record that is a symlink is not followed.
  fs::remove(dir / ".model.safetensors.weightio-commit");
  fs::create_symlink("planted.safetensors", dir / ".model.safetensors.weightio-commit");
  EXPECT_TRUE(all_equal(load_weights(dir.path()), 1.0f, 6));
  save_weights(path, c.p.params, o);
  EXPECT_TRUE(all_equal(load_weights(dir.path()), 3.0f, 6));
  EXPECT_TRUE(fs::exists(dir / "planted.safetensors"));
  EXPECT_FALSE(fs::exists(dir / ".model.safetensors.weightio-commit"));
}

// RLIMIT_FSIZE in a child stands in for a full disk, as in SaveFaults.
TEST(ShardedCommit, DiskFullMidSaveKeepsTheOldCheckpoint) {
  for (const auto &format : {std::string("safetensors"), std::string("npz")}) {
    SCOPED_TRACE(format);
    wrel::save_formats();
    wtest::TempDir dir;
    const fs::path path = dir / ("model." + format);
    Set a(6, 1.0f);
    wrel::Payload big(1 << 18, 8, 2.0f); // 8 x 1 MiB tensors; files over 2.5 MiB fail
    SaveOptions o;
    o.max_shard_bytes = 2048;
    save_weights(path, a.p.params, o);
    std::vector<std::string> before;
    for (const auto &e : fs::directory_iterator(dir.path()))
      before.push_back(e.path().filename().string());
    std::sort(before.begin(), before.end());
    const int status = wrel::in_child([&] {
      ::signal(SIGXFSZ, SIG_IGN);
      rlimit lim{5 << 19, 5 << 19};
      if (::setrlimit(RLIMIT_FSIZE, &lim) != 0)
        return 2;
      SaveOptions big_o;
      big_o.max_shard_bytes = 3 << 20; // shards of 3, 3 and 2 MiB
      try {
        save_weights(path, big.params, big_o);
      } catch (const IoError &e) {
        return std::string(e.what()).find(path.string()) != std::string::npos ? 0 : 3;
      }
      return 4;
    });
    EXPECT_EQ(wrel::exit_code(status), 0);
    std::vector<std::string> after;
    for (const auto &e : fs::directory_iterator(dir.path()))
      after.push_back(e.path().filename().string());
    std::sort(after.begin(), after.end());
    EXPECT_EQ(after, before);
    EXPECT_TRUE(all_equal(load_weights(dir.path()), 1.0f, 6));
  }
}
