#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

FlatParams one_tensor(std::vector<float> &storage) {
  FlatParams p;
  p.emplace("w", TensorView(DType::F32, {static_cast<int64_t>(storage.size())}, storage.data()));
  return p;
}

// Everything in the folder except `keep`.
std::vector<std::string> others(const fs::path &dir, const std::string &keep) {
  std::vector<std::string> out;
  for (auto &e : fs::directory_iterator(dir))
    if (e.path().filename() != keep)
      out.push_back(e.path().filename().string());
  return out;
}

} // namespace

TEST(AtomicSave, FailingWriterLeavesOldFileAndNoTemporary) {
  wtest::load_test_plugin("failing_writer");
  wtest::TempDir dir;
  const std::vector<uint8_t> old{'o', 'l', 'd', ' ', 'f', 'i', 'l', 'e'};
  wtest::write_bytes(dir / "m.failw", old);
  std::vector<float> w(10, 1.0f);
  try {
    save_weights(dir / "m.failw", one_tensor(w));
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("simulated failure"), std::string::npos) << e.what();
  }
  EXPECT_EQ(wtest::read_bytes(dir / "m.failw"), old);
  EXPECT_TRUE(others(dir.path(), "m.failw").empty());
}

TEST(AtomicSave, CancelledSaveLeavesOldFile) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  const std::vector<uint8_t> old{1, 2, 3};
  wtest::write_bytes(dir / "m.rawt", old);
  std::vector<float> w(1000, 1.0f);
  SaveOptions o;
  o.progress = [](uint64_t, uint64_t) { return false; };
  try {
    save_weights(dir / "m.rawt", one_tensor(w), o);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Cancelled);
  }
  EXPECT_EQ(wtest::read_bytes(dir / "m.rawt"), old);
  EXPECT_TRUE(others(dir.path(), "m.rawt").empty());
}

TEST(AtomicSave, MissingFolderAndDirectoryTargetAreIoErrors) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  std::vector<float> w(4, 1.0f);
  try {
    save_weights(dir / "missing" / "m.rawt", one_tensor(w));
    FAIL();
  } catch (const IoError &e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  fs::create_directory(dir / "d.rawt");
  try {
    save_weights(dir / "d.rawt", one_tensor(w));
    FAIL();
  } catch (const IoError &e) {
    EXPECT_NE(std::string(e.what()).find("folder"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_directory(dir / "d.rawt"));
}

TEST(AtomicSave, ReplacedFileKeepsItsPermissions) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  std::vector<float> w(4, 1.0f);
  wtest::write_bytes(dir / "m.rawt", {0});
  ::chmod((dir / "m.rawt").c_str(), 0640);
  save_weights(dir / "m.rawt", one_tensor(w));
  struct stat st {};
  ASSERT_EQ(::stat((dir / "m.rawt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(AtomicSave, NewFileFollowsTheUmask) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  std::vector<float> w(4, 1.0f);
  const mode_t old = ::umask(027);
  save_weights(dir / "m.rawt", one_tensor(w));
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "m.rawt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(AtomicSave, SymlinkStaysAndItsTargetIsReplaced) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  fs::create_directory(dir / "real");
  wtest::write_bytes(dir / "real" / "m.rawt", {0});
  fs::create_symlink("real/m.rawt", dir / "link.rawt");
  std::vector<float> w(4, 3.0f);
  save_weights(dir / "link.rawt", one_tensor(w));
  EXPECT_TRUE(fs::is_symlink(dir / "link.rawt"));
  EXPECT_EQ(load_weights(dir / "real" / "m.rawt").at("w").data<float>()[3], 3.0f);
  EXPECT_TRUE(others(dir / "real", "m.rawt").empty());
}

TEST(AtomicSave, StaleUnlockedTemporariesAreRemovedLockedOnesKept) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  const std::string stale = ".m.rawt.weightio-tmp-1-deadbeef";
  wtest::write_bytes(dir / stale, {1, 2, 3});
  wtest::write_bytes(dir / ".other.rawt.weightio-tmp-1-x", {1}); // another target's
  std::vector<float> w(4, 1.0f);
  save_weights(dir / "m.rawt", one_tensor(w));
  EXPECT_FALSE(fs::exists(dir / stale));
  EXPECT_TRUE(fs::exists(dir / ".other.rawt.weightio-tmp-1-x"));
}

TEST(AtomicSave, NonDurableSaveWritesTheSameFile) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  std::vector<float> w(100, 1.5f);
  SaveOptions fast;
  fast.durable = false;
  save_weights(dir / "a.rawt", one_tensor(w), fast);
  save_weights(dir / "b.rawt", one_tensor(w));
  EXPECT_EQ(wtest::read_bytes(dir / "a.rawt"), wtest::read_bytes(dir / "b.rawt"));
}
