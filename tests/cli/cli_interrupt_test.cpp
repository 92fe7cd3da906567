// convert under signals and limits: SIGINT, SIGTERM or SIGHUP
// mid-save cancels it (exit 128 + N), a second signal ends the tool at once,
// a file-size limit is a clean error (exit 2), and an input truncated while
// mapped is reported (exit 1). In every case no temporary file is left and
// the old output is byte-identical.
//
// "Mid-save" is made certain rather than hoped for: the test stops the tool
// (SIGSTOP) once its temporary file holds part of the output, checks that
// the save is still under way, and only then sends the signal and lets it go
// on. An attempt whose save finished before the stop is repeated.
#include "cli_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <optional>
#include <thread>

extern char **environ;

namespace {

namespace fs = std::filesystem;
using wcli_test::run_cli;

const std::vector<uint8_t> kOld{'t', 'h', 'e', ' ', 'o', 'l', 'd', ' ', 'f', 'i', 'l', 'e'};

// The tool's temporary files for `out` in its folder.
std::vector<fs::path> temporaries(const fs::path &out) {
  std::vector<fs::path> found;
  const std::string prefix = "." + out.filename().string() + ".weightio-tmp-";
  for (const auto &e : fs::directory_iterator(out.parent_path()))
    if (e.path().filename().string().rfind(prefix, 0) == 0)
      found.push_back(e.path());
  return found;
}

// Size of `out`'s (only) temporary file, if there is one.
std::optional<uint64_t> temporary_size(const fs::path &out) {
  const auto t = temporaries(out);
  std::error_code ec;
  if (t.size() != 1)
    return std::nullopt;
  const auto size = fs::file_size(t[0], ec);
  return ec ? std::nullopt : std::optional<uint64_t>(size);
}

pid_t spawn_cli(const std::vector<std::string> &args, const fs::path &err_file) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv{WEIGHTIO_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char *> cargv;
  for (auto &a : argv)
    cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    throw std::runtime_error("cannot start the tool");
  return pid;
}

class CliInterrupt : public ::testing::Test {
protected:
  // 160 MiB of F32 in 10 tensors: the save takes long enough to be caught
  // part way, and progress is reported many times on the way.
  static constexpr uint64_t kBytes = uint64_t{160} << 20;

  void SetUp() override {
    std::vector<weightio::Tensor> ts;
    weightio::FlatParams params;
    for (int i = 0; i < 10; ++i) {
      ts.push_back(
          weightio::Tensor::zeros(weightio::DType::F32, {static_cast<int64_t>(kBytes / 40)}));
      params.emplace("layers." + std::to_string(i) + ".weight", ts.back().view());
    }
    weightio::SaveOptions o;
    o.durable = false;
    weightio::save_weights(in, params, o);
  }

  // Starts `convert --force in out` and stops it while its save is under
  // way: its temporary file exists and holds less than half the tensors.
  // Returns the stopped process, or -1 when every attempt saw the save
  // finish first (the caller fails).
  pid_t start_and_stop_mid_save() {
    for (int attempt = 0; attempt < 8; ++attempt) {
      wtest::write_bytes(out, kOld);
      const pid_t pid = spawn_cli({"convert", "--force", in.string(), out.string()}, err_file);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      bool stopped = false;
      while (std::chrono::steady_clock::now() < deadline) {
        const auto size = temporary_size(out);
        if (size && *size > (1u << 20) && *size < kBytes / 2) {
          ::kill(pid, SIGSTOP);
          int st = 0;
          ::waitpid(pid, &st, WUNTRACED);
          if (!WIFSTOPPED(st))
            break; // it ended meanwhile
          stopped = true;
          break;
        }
        int st = 0;
        if (::waitpid(pid, &st, WNOHANG) == pid)
          break; // it ended before we saw it part way
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      if (stopped) {
        // Still under way while stopped: part of the output only.
        const auto size = temporary_size(out);
        if (size && *size < kBytes * 9 / 10)
          return pid;
        ::kill(pid, SIGCONT);
      }
      int st = 0;
      ::waitpid(pid, &st, 0);
    }
    return -1;
  }

  void expect_clean_aftermath() {
    EXPECT_EQ(temporaries(out), std::vector<fs::path>{});
    EXPECT_EQ(wtest::read_bytes(out), kOld);
  }

  wtest::TempDir dir;
  fs::path in = dir / "in.safetensors";
  fs::path out = dir / "out.npz";
  fs::path err_file = dir / "stderr.txt";
};

TEST_F(CliInterrupt, SignalMidSaveCancelsItWithStatus128PlusSignal) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    SCOPED_TRACE(strsignal(sig));
    const pid_t pid = start_and_stop_mid_save();
    ASSERT_GT(pid, 0) << "never caught the save part way";
    ::kill(pid, sig);
    ::kill(pid, SIGCONT);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const std::string err = wtest::read_text(err_file);
    ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status) << "; " << err;
    EXPECT_EQ(WEXITSTATUS(status), 128 + sig) << err;
    EXPECT_NE(err.find("interrupted by SIG"), std::string::npos) << err;
    EXPECT_NE(err.find("is unchanged"), std::string::npos) << err;
    expect_clean_aftermath();
  }
}

// Two signals: the second ends the tool at once, by that signal (whichever
// of the two the handler saw second), still without a temporary file.
TEST_F(CliInterrupt, SecondSignalEndsTheToolAtOnce) {
  const pid_t pid = start_and_stop_mid_save();
  ASSERT_GT(pid, 0) << "never caught the save part way";
  ::kill(pid, SIGINT);
  ::kill(pid, SIGTERM);
  ::kill(pid, SIGCONT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status))
      << "exit status " << WEXITSTATUS(status) << "; " << wtest::read_text(err_file);
  EXPECT_TRUE(WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM) << WTERMSIG(status);
  expect_clean_aftermath();
}

// The input truncated by another process while the tool reads it through
// its memory map: a message, exit 1, no temporary file.
TEST_F(CliInterrupt, InputTruncatedMidConvertIsReported) {
  const pid_t pid = start_and_stop_mid_save();
  ASSERT_GT(pid, 0) << "never caught the save part way";
  ASSERT_EQ(::truncate(in.c_str(), 0), 0);
  ::kill(pid, SIGCONT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string err = wtest::read_text(err_file);
  ASSERT_TRUE(WIFEXITED(status)) << "ended by signal " << WTERMSIG(status) << "; " << err;
  EXPECT_EQ(WEXITSTATUS(status), 1) << err;
  EXPECT_NE(err.find("weightio convert: '" + in.string() + "' changed while it was being read"),
            std::string::npos)
      << err;
  expect_clean_aftermath();
}

// ulimit -f: the write past the limit fails (EFBIG; SIGXFSZ is ignored),
// the save cleans up, exit 2.
TEST_F(CliInterrupt, FileSizeLimitIsACleanError) {
  wtest::write_bytes(out, kOld);
  // 2048 blocks (1 or 2 MiB, as the shell counts them), far below the output.
  const auto r =
      wtest::run_command({"/bin/sh", "-c", "ulimit -f 2048 && exec \"$0\" \"$@\"", WEIGHTIO_CLI,
                          "convert", "--force", in.string(), out.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("larger than allowed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(out.string()), std::string::npos) << r.err;
  expect_clean_aftermath();
}

} // namespace
