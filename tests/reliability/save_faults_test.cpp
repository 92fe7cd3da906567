// A save either produces a complete, valid file or leaves the old one
// byte-identical, with no temporary file left: under a full disk, refused
// folders, a failing plugin, SIGKILL, and rival saves in other processes.
// Each fault runs against every writable format (rawt, npz, safetensors).
#include "reliability_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cstring>

using namespace weightio;
using wrel::in_child;
using wrel::others;
namespace fs = std::filesystem;

namespace {

const std::vector<uint8_t> kOld{'t', 'h', 'e', ' ', 'o', 'l', 'd', ' ', 'f', 'i', 'l', 'e'};

std::string ext(const std::string &format) {
  return "m." + format;
}

bool is_temporary_of(const std::string &name, const std::string &target) {
  return name.rfind("." + target + ".weightio-tmp-", 0) == 0;
}

} // namespace

// RLIMIT_FSIZE in a child stands in for a full disk: the kernel refuses the
// write past the limit (EFBIG, with SIGXFSZ ignored) as it would with ENOSPC.
TEST(SaveFaults, DiskFullMidWriteKeepsTheOldFile) {
  for (const auto &format : wrel::save_formats()) {
    SCOPED_TRACE(format);
    wtest::TempDir dir;
    const auto path = dir / ext(format);
    wtest::write_bytes(path, kOld);
    wrel::Payload big(1 << 20, 4, 2.0f); // 16 MiB, limit 1 MiB
    const int status = in_child([&] {
      ::signal(SIGXFSZ, SIG_IGN);
      rlimit lim{1 << 20, 1 << 20};
      if (::setrlimit(RLIMIT_FSIZE, &lim) != 0)
        return 2;
      try {
        save_weights(path, big.params);
      } catch (const IoError &e) {
        // The message names the file and the reason.
        const std::string what = e.what();
        return what.find(path.string()) != std::string::npos &&
                       what.find("larger than allowed") != std::string::npos
                   ? 0
                   : 3;
      }
      return 4; // saved past the limit?
    });
    EXPECT_EQ(wrel::exit_code(status), 0);
    EXPECT_EQ(wtest::read_bytes(path), kOld);
    EXPECT_TRUE(others(dir.path(), ext(format)).empty());
  }
}

// A stored save allocates the file's blocks ahead (an estimate: the tensors'
// bytes plus room for headers); what the file did not use is given back, so
// a file never holds more disk than its size. One small tensor makes the
// estimate exceed the file by ~64 KiB.
TEST(SaveFaults, SpaceReservedAheadIsGivenBack) {
  for (const auto &format : wrel::save_formats()) {
    SCOPED_TRACE(format);
    wtest::TempDir dir;
    const auto path = dir / ext(format);
    wrel::Payload p(1000, 1, 3.0f);
    SaveOptions o;
    o.durable = false;
    save_weights(path, p.params, o);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    const uint64_t allocated = static_cast<uint64_t>(st.st_blocks) * 512;
    const uint64_t size_in_blocks = (static_cast<uint64_t>(st.st_size) + 4095) / 4096 * 4096;
    EXPECT_LE(allocated, size_in_blocks + 4096) << "size " << st.st_size;
    float v = 0;
    const Weights w = load_weights(path);
    std::memcpy(&v, w.begin()->second.data(), sizeof v);
    EXPECT_EQ(v, 3.0f);
  }
}

// As root, permission bits do not stop anyone, so the save runs in a child
// that drops to "nobody" first; otherwise it runs as the current user.
TEST(SaveFaults, ReadOnlyFolderIsAnIoErrorAndChangesNothing) {
  const auto formats = wrel::save_formats();
  wtest::TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  fs::create_directory(dir / "ro");
  for (const auto &format : formats)
    wtest::write_bytes(dir / "ro" / ext(format), kOld);
  ::chmod((dir / "ro").c_str(), 0555);
  wrel::Payload p(1000, 2, 1.0f);
  const int status = in_child([&] {
    if (::geteuid() == 0) {
      const passwd *nobody = ::getpwnam("nobody");
      if (nobody == nullptr || ::setgid(nobody->pw_gid) != 0 || ::setuid(nobody->pw_uid) != 0)
        return 2;
    }
    for (const auto &format : formats) {
      try {
        save_weights(dir / "ro" / ext(format), p.params);
        return 3;
      } catch (const IoError &e) {
        if (std::string(e.what()).find("temporary file") == std::string::npos) {
          std::fprintf(stderr, "unexpected message: %s\n", e.what());
          return 4;
        }
      }
    }
    return 0;
  });
  ::chmod((dir / "ro").c_str(), 0755);
  EXPECT_EQ(wrel::exit_code(status), 0);
  for (const auto &format : formats)
    EXPECT_EQ(wtest::read_bytes(dir / "ro" / ext(format)), kOld) << format;
  EXPECT_EQ(others(dir / "ro").size(), formats.size());
}

TEST(SaveFaults, BadTargetPathsAreIoErrorsNamingThePath) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  wrel::Payload p(10, 1, 1.0f);
  wtest::write_bytes(dir / "file", kOld);
  fs::create_directory(dir / "folder.rawt");
  fs::create_directory_symlink("folder.rawt", dir / "link-to-folder.rawt");
  fs::create_symlink("loop-b.rawt", dir / "loop-a.rawt");
  fs::create_symlink("loop-a.rawt", dir / "loop-b.rawt");
  const fs::path cases[] = {
      dir / "missing" / "m.rawt",  // the folder does not exist
      dir / "file" / "m.rawt",     // a file where a folder should be
      dir / "folder.rawt",         // the path is a folder
      dir / "link-to-folder.rawt", // a symlink to a folder
      dir / "loop-a.rawt",         // a symlink loop
  };
  for (const auto &path : cases) {
    try {
      save_weights(path, p.params);
      ADD_FAILURE() << path << " accepted";
    } catch (const IoError &e) {
      EXPECT_EQ(e.file(), path.string());
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(wtest::read_bytes(dir / "file"), kOld);
  EXPECT_TRUE(fs::is_directory(dir / "folder.rawt"));
  EXPECT_TRUE(fs::is_empty(dir / "folder.rawt"));
  EXPECT_EQ(others(dir.path()).size(), 5u); // nothing was created
}

// failing_writer writes 3 MiB (past the core's 1 MiB buffer, so the bytes
// reach the temporary on disk) and then reports an error.
TEST(SaveFaults, PluginFailingAfterPartialWriteKeepsTheOldFile) {
  wtest::load_test_plugin("failing_writer");
  wtest::TempDir dir;
  wtest::write_bytes(dir / "m.failw", kOld);
  wrel::Payload p(100, 1, 1.0f);
  for (int attempt = 0; attempt < 3; ++attempt)
    EXPECT_THROW(save_weights(dir / "m.failw", p.params), Error);
  EXPECT_EQ(wtest::read_bytes(dir / "m.failw"), kOld);
  EXPECT_TRUE(others(dir.path(), "m.failw").empty());
}

// A child saves a large file and is SIGKILLed half-way (its progress
// callback tells the parent when, then waits). The old file is intact; the
// temporary is recognisable by its name (it holds the child's pid), and the
// next save to that path removes it and succeeds.
TEST(SaveFaults, SigkillMidWriteLeavesOldFileAndTheNextSaveCleansUp) {
  for (const auto &format : wrel::save_formats()) {
    SCOPED_TRACE(format);
    wtest::TempDir dir;
    const auto path = dir / ext(format);
    wtest::write_bytes(path, kOld);
    wrel::Payload big(1 << 20, 8, 3.0f); // 32 MiB in 8 tensors
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(pipefd[0]);
      SaveOptions o;
      o.progress = [&](uint64_t done, uint64_t total) {
        if (total != 0 && done >= total / 2) {
          const char c = 'h';
          (void)!::write(pipefd[1], &c, 1);
          for (;;)
            ::pause(); // until SIGKILL
        }
        return true;
      };
      try {
        save_weights(path, big.params, o);
      } catch (...) {
      }
      ::_exit(1); // only reached if progress never got half-way
    }
    ::close(pipefd[1]);
    char c = 0;
    const bool halfway = ::read(pipefd[0], &c, 1) == 1;
    ::close(pipefd[0]);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(halfway) << "the child never reported progress";
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    EXPECT_EQ(wtest::read_bytes(path), kOld);
    const auto left = others(dir.path(), ext(format));
    ASSERT_EQ(left.size(), 1u);
    EXPECT_TRUE(is_temporary_of(left[0], ext(format))) << left[0];
    EXPECT_NE(left[0].find("-" + std::to_string(pid) + "-"), std::string::npos) << left[0];
    EXPECT_GT(fs::file_size(dir / left[0]), 1u << 20) << "the child had written data";

    wrel::Payload small(16, 1, 5.0f);
    save_weights(path, small.params);
    EXPECT_TRUE(others(dir.path(), ext(format)).empty()) << "the stale temporary was not removed";
    EXPECT_EQ(load_weights(path).at("t0").data<float>()[15], 5.0f);
  }
}

// A live save in another process holds its temporary locked: a rival save
// to the same path must leave it alone, and both saves must complete.
TEST(SaveFaults, LiveTemporaryOfAnotherProcessIsNeverRemoved) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  const auto path = dir / "m.rawt";
  wtest::write_bytes(path, kOld);
  int to_parent[2], to_child[2];
  ASSERT_EQ(::pipe(to_parent), 0);
  ASSERT_EQ(::pipe(to_child), 0);
  wrel::Payload mine(1 << 18, 4, 7.0f);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(to_parent[0]);
    ::close(to_child[1]);
    bool waited = false;
    SaveOptions o;
    o.progress = [&](uint64_t done, uint64_t) {
      if (!waited && done > 0) { // mid-write: let the parent save, then go on
        waited = true;
        const char c = 'w';
        (void)!::write(to_parent[1], &c, 1);
        char go = 0;
        (void)!::read(to_child[0], &go, 1);
      }
      return true;
    };
    try {
      save_weights(path, mine.params, o);
    } catch (...) {
      ::_exit(2);
    }
    ::_exit(0);
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  char c = 0;
  ASSERT_EQ(::read(to_parent[0], &c, 1), 1);
  const auto during = others(dir.path(), "m.rawt");
  ASSERT_EQ(during.size(), 1u);
  wrel::Payload theirs(100, 1, 9.0f);
  save_weights(path, theirs.params); // must not remove the child's temporary
  EXPECT_TRUE(fs::exists(dir / during[0])) << "a live save's temporary was removed";
  EXPECT_EQ(load_weights(path).at("t0").data<float>()[99], 9.0f);
  const char go = 'g';
  ASSERT_EQ(::write(to_child[1], &go, 1), 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(to_parent[0]);
  ::close(to_child[1]);
  EXPECT_EQ(wrel::exit_code(status), 0) << "the child's save failed";
  // The child renamed last: its file, complete.
  Weights w = load_weights(path);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w.at("t3").data<float>()[(1 << 18) - 1], 7.0f);
  EXPECT_TRUE(others(dir.path(), "m.rawt").empty());
}

// Several processes save different contents to one path at once, many
// times: the result is one complete file from one of them, never a mix.
TEST(SaveFaults, ProcessesSavingOnePathLeaveOneCompleteFile) {
  for (const auto &format : wrel::save_formats()) {
    SCOPED_TRACE(format);
    wtest::TempDir dir;
    const auto path = dir / ext(format);
    constexpr int kProcs = 4;
    std::vector<pid_t> pids;
    std::fflush(nullptr);
    for (int i = 0; i < kProcs; ++i) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        int rc = 0;
        try {
          wrel::Payload p(50000, 3, static_cast<float>(i + 1));
          SaveOptions o;
          o.durable = false; // more interleaving, less waiting
          for (int round = 0; round < 6; ++round)
            save_weights(path, p.params, o);
        } catch (const Error &e) {
          std::fprintf(stderr, "process %d: %s\n", i, e.what());
          rc = 1;
        }
        ::_exit(rc);
      }
      pids.push_back(pid);
    }
    for (pid_t pid : pids) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      EXPECT_EQ(wrel::exit_code(status), 0);
    }
    Weights w = load_weights(path);
    ASSERT_EQ(w.size(), 3u);
    const float v = w.at("t0").data<float>()[0];
    EXPECT_TRUE(v >= 1.0f && v <= kProcs);
    for (const auto &[name, t] : w)
      for (int k = 0; k < 50000; ++k)
        ASSERT_EQ(t.data<float>()[k], v) << name << "[" << k << "] is from another save";
    EXPECT_TRUE(others(dir.path(), ext(format)).empty());
  }
}

// The file a symlink (or a chain of them) points to is replaced, in its own
// folder; every link stays a link. A dangling link creates its target.
TEST(SaveFaults, SymlinkChainsAreFollowedAndKept) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  fs::create_directory(dir / "a");
  fs::create_directory(dir / "b");
  wtest::write_bytes(dir / "b" / "real.rawt", kOld);
  fs::create_symlink("../b/real.rawt", dir / "a" / "hop.rawt");
  fs::create_symlink(dir / "a" / "hop.rawt", dir / "top.rawt"); // absolute
  wrel::Payload p(8, 1, 4.0f);
  save_weights(dir / "top.rawt", p.params);
  EXPECT_TRUE(fs::is_symlink(dir / "top.rawt"));
  EXPECT_TRUE(fs::is_symlink(dir / "a" / "hop.rawt"));
  EXPECT_EQ(load_weights(dir / "b" / "real.rawt").at("t0").data<float>()[7], 4.0f);
  EXPECT_EQ(others(dir / "b"), std::vector<std::string>{"real.rawt"});
  EXPECT_EQ(others(dir / "a"), std::vector<std::string>{"hop.rawt"});

  fs::create_symlink("b/new.rawt", dir / "dangling.rawt");
  save_weights(dir / "dangling.rawt", p.params);
  EXPECT_TRUE(fs::is_symlink(dir / "dangling.rawt"));
  EXPECT_TRUE(fs::is_regular_file(dir / "b" / "new.rawt"));
}

// The replaced file's mode is kept (also read-only and setgid bits); a hard
// link elsewhere keeps the old contents, since the save makes a new inode.
TEST(SaveFaults, ModesAreKeptAndHardLinksKeepTheOldContents) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  wrel::Payload p(8, 1, 1.0f);
  for (mode_t mode : {0600u, 0444u, 0664u}) {
    const auto path = dir / ("m" + std::to_string(mode) + ".rawt");
    wtest::write_bytes(path, kOld);
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    save_weights(path, p.params);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, mode);
  }
  wtest::write_bytes(dir / "h.rawt", kOld);
  fs::create_hard_link(dir / "h.rawt", dir / "other-name");
  save_weights(dir / "h.rawt", p.params);
  EXPECT_EQ(wtest::read_bytes(dir / "other-name"), kOld);
}
