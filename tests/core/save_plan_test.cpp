// A save is planned whole before anything is locked or written: every
// format, dtype, option and limit check of a sharded save runs once, on
// each file as it will be written, and a refused save leaves no trace in the
// folder (no shard, index, lock or temporary file is ever created). A
// sharded save returns its files' warnings.
#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

// Names created in a folder while it is watched (inotify IN_CREATE): files
// created and removed again still count.
class CreationWatch {
public:
  explicit CreationWatch(const fs::path &dir) {
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    EXPECT_GE(fd_, 0);
    EXPECT_GE(::inotify_add_watch(fd_, dir.c_str(), IN_CREATE), 0);
  }
  ~CreationWatch() { ::close(fd_); }
  std::vector<std::string> created() {
    std::vector<std::string> names;
    alignas(inotify_event) char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0)
        break;
      for (ssize_t i = 0; i < n;) {
        const auto *e = reinterpret_cast<const inotify_event *>(buf + i);
        names.emplace_back(e->len ? e->name : "");
        i += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
    return names;
  }

private:
  int fd_ = -1;
};

std::vector<std::string> listing(const fs::path &dir) {
  std::vector<std::string> out;
  for (const auto &e : fs::directory_iterator(dir))
    out.push_back(e.path().filename().string());
  return out;
}

} // namespace

TEST(SavePlan, ARefusedShardedSaveCreatesNothingAndNamesTheTensor) {
  wtest::TempDir dir;
  const fs::path out = dir / "out";
  fs::create_directory(out);
  std::vector<float> a(64 * 1024, 1.0f);
  std::vector<float> c(2 * 1024, 0.5f); // C64: pairs of f32
  FlatParams p;
  p.emplace("a.weight", TensorView(DType::F32, {64, 1024}, a.data()));
  p.emplace("b.weight", TensorView(DType::F32, {64, 1024}, a.data()));
  p.emplace("z.rotary", TensorView(DType::C64, {1024}, c.data()));
  SaveOptions o;
  o.max_shard_bytes = 100'000; // three shards
  CreationWatch watch(out);
  try {
    save_weights(out / "model.gguf", p, o);
    FAIL() << "a complex64 tensor was saved to gguf";
  } catch (const UnsupportedError &e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.tensor(), "z.rotary");
    EXPECT_NE(msg.find("'z.rotary'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("dtype C64"), std::string::npos) << msg;
    EXPECT_NE(msg.find("gguf"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("shard"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(".weightio-"), std::string::npos) << msg;
  }
  EXPECT_EQ(watch.created(), std::vector<std::string>{});
  EXPECT_EQ(listing(out), std::vector<std::string>{});
}

TEST(SavePlan, EachShardIsCheckedAgainstTheFormatsLimitsAsWritten) {
  // The typed format holds at most 1000 tensors a file: 1001 tensors in
  // shards of 500 fit; in one file they don't, and the refusal creates
  // nothing.
  wtest::load_test_plugin("typed");
  wtest::TempDir dir;
  std::vector<float> w(1, 1.0f);
  FlatParams p;
  for (int i = 0; i < 1001; ++i)
    p.emplace("t" + std::to_string(i), TensorView(DType::F32, {1}, w.data()));
  SaveOptions sharded;
  sharded.max_shard_bytes = 2000;
  EXPECT_NO_THROW(save_weights(dir / "ok.typed", p, sharded));
  EXPECT_EQ(load_weights(dir / "ok.typed.index.json").size(), 1001u);

  const fs::path out = dir / "out";
  fs::create_directory(out);
  CreationWatch watch(out);
  SaveOptions one;
  one.max_shard_bytes = 1 << 20; // a set of one file, over the format's tensor count
  try {
    save_weights(out / "m.typed", p, one);
    FAIL() << "1001 tensors saved in one typed file";
  } catch (const UnsupportedError &e) {
    EXPECT_EQ(e.limit(), "max_tensors");
    EXPECT_NE(std::string(e.what()).find("tensor count 1001 is over the limit 1000 (max_tensors)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(watch.created(), std::vector<std::string>{});
}

TEST(SavePlan, AShardedSaveReturnsItsFilesWarningsOnce) {
  wtest::load_test_plugin("typed");
  wtest::TempDir dir;
  std::vector<float> w(256, 1.0f);
  FlatParams p;
  for (int i = 0; i < 4; ++i)
    p.emplace("t" + std::to_string(i), TensorView(DType::F32, {256}, w.data()));
  SaveOptions o;
  o.max_shard_bytes = 2 * 1024; // two shards, each writes the metadata
  o.metadata["a"] = "1";
  o.metadata["b"] = Value::integer(ValueType::I32, 2);
  const SaveResult r = save_weights(dir / "m.typed", p, o);
  ASSERT_TRUE(fs::exists(dir / "m-00002-of-00002.typed"));
  EXPECT_EQ(r.warnings, std::vector<std::string>{"2 metadata values written"});
}
