// Hostile surroundings: special files given as inputs or planted
// under the name of a stale temporary must never block a load or a save, and
// a save as root into a shared folder must not hand out setuid bits or follow
// a link that another user planted there.
//
// Every case that could block runs in a forked child under alarm(): if a
// regression makes open() wait for a FIFO's writer, SIGALRM kills the child
// and the test fails instead of hanging the suite.
#include "reliability_support.hpp"

#include <gtest/gtest.h>

#include <weightio/signals.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include <cstring>
#include <sstream>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

const std::vector<uint8_t> kOld{'t', 'h', 'e', ' ', 'o', 'l', 'd', ' ', 'f', 'i', 'l', 'e'};
constexpr unsigned kTimeLimitSeconds = 10;
constexpr uid_t kNobody = 65534;

// Runs `body` in a child that SIGALRM ends after the time limit; returns the
// child's exit code, or -SIGNAL when it was killed (e.g. -SIGALRM: it hung).
int bounded(const std::function<int()> &body) {
  const int status = wrel::in_child([&] {
    ::alarm(kTimeLimitSeconds);
    return body();
  });
  return WIFSIGNALED(status) ? -WTERMSIG(status) : wrel::exit_code(status);
}

// A listening-less Unix socket bound at `path` (the file stays after close).
void make_socket(const fs::path &path) {
  const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(path.string().size(), sizeof addr.sun_path);
  std::strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0) << path;
  ::close(s);
}

struct CapturedLog {
  std::ostringstream text;
  CapturedLog() {
    auto l = std::make_shared<spdlog::logger>(
        "test", std::make_shared<spdlog::sinks::ostream_sink_st>(text));
    l->set_level(spdlog::level::info);
    set_logger(l);
  }
  ~CapturedLog() { set_logger(nullptr); }
};

} // namespace

// As inputs: a clean IoError naming the file and what it is, mapped or read
// into memory, never a block. /dev/null is a character device; read, it
// would look like an empty file.
TEST(HostileSurroundings, SpecialFilesAsInputsAreRefusedWithoutBlocking) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo.rawt").c_str(), 0666), 0);
  make_socket(dir / "sock.rawt");
  fs::create_directory(dir / "folder.rawt");
  fs::create_symlink("loop.rawt", dir / "loop.rawt"); // a link to itself
  fs::create_symlink("/dev/null", dir / "null.rawt");
  // File name (or absolute path), and the word the message must contain.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"fifo.rawt", "FIFO"},
      {"sock.rawt", "socket"},
      {"folder.rawt", "folder"},
      {"loop.rawt", "symlink loop"},
      {"null.rawt", "character device"},
      {"/dev/null", "character device"}};
  for (const auto &[name, kind] : cases) {
    for (bool into_memory : {false, true}) {
      SCOPED_TRACE(name + (into_memory ? " (read into memory)" : " (mapped)"));
      const fs::path path = name[0] == '/' ? fs::path(name) : dir / name;
      const int rc = bounded([&] {
        LoadOptions o;
        o.read_into_memory = into_memory;
        o.format = "rawt";
        try {
          load_weights(path, o);
        } catch (const IoError &e) {
          const std::string what = e.what();
          if (what.find(path.string()) == std::string::npos ||
              what.find(kind) == std::string::npos) {
            std::fprintf(stderr, "message: %s\n", e.what());
            return 3;
          }
          return 0;
        }
        return 4; // loaded?
      });
      EXPECT_EQ(rc, 0);
    }
  }
}

// Planted under a stale temporary's name, in both the name form weightio
// uses and another: the save goes through, each planted file is left alone
// (with a warning), and a regular file of another user is not removed.
TEST(HostileSurroundings, PlantedStaleTemporariesNeverBlockASaveAndAreLeftAlone) {
  wtest::load_test_plugin("rawt");
  for (const std::string form : {"1-x", "1-0123456789ab"}) {
    SCOPED_TRACE(form);
    wtest::TempDir dir;
    const auto target = dir / "victim.rawt";
    wtest::write_bytes(target, kOld);
    // Distinct names: each planted file gets its own pid.
    int pid = 1;
    const auto name = [&] {
      return ".victim.rawt.weightio-tmp-" + std::to_string(pid++) + form.substr(form.find('-'));
    };
    std::string fifo = name(), sock = name(), folder = name(), loop = name(), null = name(),
                foreign = name();
    ASSERT_EQ(::mkfifo((dir / fifo).c_str(), 0666), 0);
    make_socket(dir / sock);
    fs::create_directory(dir / folder);
    fs::create_symlink(loop, dir / loop); // a link to itself
    fs::create_symlink("/dev/null", dir / null);
    wtest::write_bytes(dir / foreign, kOld);
    ASSERT_EQ(::chown((dir / foreign).c_str(), kNobody, kNobody), 0);
    std::vector<std::string> all{fifo, sock, folder, loop, null, foreign};
    // A character device of our own where the system lets us make one.
    const std::string dev = name();
    if (::mknod((dir / dev).c_str(), S_IFCHR | 0666, ::makedev(1, 3)) == 0)
      all.push_back(dev);

    wrel::Payload p(1000, 2, 5.0f);
    const int rc = bounded([&] {
      CapturedLog log;
      save_weights(target, p.params);
      // One warning per planted file, naming it.
      for (const auto &n : all)
        if (log.text.str().find(n) == std::string::npos) {
          std::fprintf(stderr, "no warning for %s in:\n%s\n", n.c_str(), log.text.str().c_str());
          return 3;
        }
      return 0;
    });
    EXPECT_EQ(rc, 0);
    EXPECT_NE(wtest::read_bytes(target), kOld); // the save happened
    for (const auto &n : all)
      EXPECT_TRUE(fs::exists(fs::symlink_status(dir / n))) << n << " was removed";
    EXPECT_EQ(wtest::read_bytes(dir / foreign), kOld);
  }
}

// Our own stale temporary (a regular file, unlocked) is still removed.
TEST(HostileSurroundings, OwnStaleTemporaryIsStillRemoved) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  wtest::write_bytes(dir / ".m.rawt.weightio-tmp-77-00112233aabb", kOld);
  wrel::Payload p(8, 1, 1.0f);
  save_weights(dir / "m.rawt", p.params);
  EXPECT_EQ(wrel::others(dir.path(), "m.rawt"), std::vector<std::string>{});
}

// Setuid, setgid and sticky bits of a replaced file are not carried over;
// the other permission bits are.
TEST(HostileSurroundings, SetuidSetgidAndStickyBitsAreDropped) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  wrel::Payload p(8, 1, 1.0f);
  for (mode_t mode : {04755u, 02750u, 01644u, 06711u}) {
    SCOPED_TRACE(mode);
    const auto path = dir / "m.rawt";
    wtest::write_bytes(path, kOld);
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    ASSERT_EQ(st.st_mode & 07777, mode); // the set-up took
    save_weights(path, p.params);
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, mode & 0777);
    fs::remove(path);
  }
}

// A save by root that replaces a user's file leaves it that user's.
TEST(HostileSurroundings, RootReplacingAFileKeepsItsOwnerAndGroup) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root";
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  const auto path = dir / "m.rawt";
  wtest::write_bytes(path, kOld);
  ASSERT_EQ(::chown(path.c_str(), kNobody, kNobody + 0), 0);
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  wrel::Payload p(8, 1, 1.0f);
  save_weights(path, p.params);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  EXPECT_EQ(st.st_gid, kNobody);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_NE(wtest::read_bytes(path), kOld);
}

// The kernel's protected_symlinks rule, whatever the sysctl says: in a
// sticky world-writable folder, a link owned by another user (who is not the
// folder's owner) is not followed; the saver's own link is.
TEST(HostileSurroundings, ForeignSymlinkInAStickyWorldWritableFolderIsRefused) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to give a link to another user";
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  const auto shared = dir / "shared";
  const auto safe = dir / "safe";
  fs::create_directory(shared);
  fs::create_directory(safe);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  const auto victim = safe / "victim.rawt";
  wtest::write_bytes(victim, kOld);
  wrel::Payload p(8, 1, 1.0f);

  const auto planted = shared / "planted.rawt";
  fs::create_symlink(victim, planted);
  ASSERT_EQ(::lchown(planted.c_str(), kNobody, kNobody), 0);
  try {
    save_weights(planted, p.params);
    ADD_FAILURE() << "followed another user's link";
  } catch (const IoError &e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(planted.string()), std::string::npos) << what;
    EXPECT_NE(what.find("sticky world-writable"), std::string::npos) << what;
    EXPECT_NE(what.find("uid 65534"), std::string::npos) << what;
  }
  EXPECT_EQ(wtest::read_bytes(victim), kOld);
  EXPECT_TRUE(fs::is_symlink(planted));
  EXPECT_EQ(wrel::others(shared, "planted.rawt"), std::vector<std::string>{});
  EXPECT_EQ(wrel::others(safe, "victim.rawt"), std::vector<std::string>{});

  // The same link one hop down a chain that starts with our own link.
  fs::create_symlink(planted, safe / "mine.rawt");
  EXPECT_THROW(save_weights(safe / "mine.rawt", p.params), IoError);
  EXPECT_EQ(wtest::read_bytes(victim), kOld);

  // Our own link there is followed.
  const auto own = shared / "own.rawt";
  fs::create_symlink(victim, own);
  save_weights(own, p.params);
  EXPECT_TRUE(fs::is_symlink(own));
  EXPECT_NE(wtest::read_bytes(victim), kOld);

  // So is a link of the folder's owner, and any link in a folder that is
  // world-writable but not sticky.
  wtest::write_bytes(victim, kOld);
  ASSERT_EQ(::chown(shared.c_str(), kNobody, kNobody), 0);
  save_weights(planted, p.params);
  EXPECT_NE(wtest::read_bytes(victim), kOld);
  wtest::write_bytes(victim, kOld);
  ASSERT_EQ(::chown(shared.c_str(), 0, 0), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 0777), 0);
  save_weights(planted, p.params);
  EXPECT_NE(wtest::read_bytes(victim), kOld);
}

// A host's handler of a fatal signal can remove the temporary files of the
// saves in progress before it ends the process: here the signal arrives
// from inside the save (its progress callback), as SIGBUS would from a
// truncated mapped input.
TEST(HostileSurroundings, SignalHandlerCleanupRemovesTheTemporaryOfASaveInProgress) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  const auto path = dir / "m.rawt";
  wtest::write_bytes(path, kOld);
  wrel::Payload p(1 << 16, 4, 1.0f);
  const int rc = bounded([&] {
    struct sigaction sa {};
    sa.sa_handler = [](int) {
      remove_save_temporaries_from_signal_handler();
      ::_exit(7);
    };
    ::sigaction(SIGUSR1, &sa, nullptr);
    SaveOptions o;
    o.progress = [](uint64_t done, uint64_t) {
      if (done > 0)
        ::raise(SIGUSR1);
      return true;
    };
    save_weights(path, p.params, o);
    return 3; // the save ended before any progress?
  });
  EXPECT_EQ(rc, 7);
  EXPECT_EQ(wrel::others(dir.path(), "m.rawt"), std::vector<std::string>{});
  EXPECT_EQ(wtest::read_bytes(path), kOld);
}
