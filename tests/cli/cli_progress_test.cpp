// The progress bar: on stderr when it is a terminal and the work is over
// 64 MiB; nothing extra on a pipe or for small work.
#include "cli_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

extern char **environ;

namespace {

namespace fs = std::filesystem;
using wcli_test::run_cli;

struct TtyRun {
  int exit_code = -1;
  std::string out;      // stdout (a pipe)
  std::string terminal; // what the child wrote to its stderr, a pseudo-terminal
};

// Runs the tool with stderr on a pseudo-terminal and stdout on a pipe.
TtyRun run_with_terminal_stderr(const std::vector<std::string> &args) {
  int master = -1, slave = -1, out_pipe[2];
  if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0 || pipe(out_pipe) != 0)
    throw std::runtime_error("openpty or pipe failed");
  fcntl(master, F_SETFD, FD_CLOEXEC);
  fcntl(slave, F_SETFD, FD_CLOEXEC);
  fcntl(out_pipe[0], F_SETFD, FD_CLOEXEC);
  fcntl(out_pipe[1], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, slave, 2);
  std::vector<std::string> argv{WEIGHTIO_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char *> cargv;
  for (auto &a : argv)
    cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(slave);
  close(out_pipe[1]);
  TtyRun r;
  if (rc != 0) {
    close(master);
    close(out_pipe[0]);
    throw std::runtime_error("cannot start the tool");
  }
  pollfd fds[2] = {{master, POLLIN, 0}, {out_pipe[0], POLLIN, 0}};
  std::string *bufs[2] = {&r.terminal, &r.out};
  int open_fds = 2;
  char chunk[4096];
  while (open_fds > 0 && poll(fds, 2, 60000) > 0) {
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      const ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
      if (n > 0) {
        bufs[i]->append(chunk, static_cast<size_t>(n));
      } else { // EOF, or EIO from the terminal once the child has gone
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto &f : fds)
    if (f.fd >= 0)
      close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CliProgress : public ::testing::Test {
protected:
  void SetUp() override {
    // 72 MiB of F32: over the 64 MiB threshold.
    wcli_test::Model m;
    m.add("big", weightio::DType::F32, {18 << 20}, 1);
    wcli_test::save(big, m);
    wcli_test::save(small, wcli_test::mixed_model());
  }
  wtest::TempDir dir;
  fs::path big = dir / "big.safetensors";
  fs::path small = dir / "small.safetensors";
};

TEST_F(CliProgress, ABarOnATerminalForLargeWork) {
  auto v = run_with_terminal_stderr({"verify", big.string()});
  EXPECT_EQ(v.exit_code, 0) << v.terminal;
  EXPECT_EQ(v.out, "ok: 1 tensor\n");
  EXPECT_NE(v.terminal.find('\r'), std::string::npos) << v.terminal;
  EXPECT_NE(v.terminal.find("%"), std::string::npos) << v.terminal;
  EXPECT_NE(v.terminal.find(big.string()), std::string::npos) << v.terminal;

  auto c = run_with_terminal_stderr({"convert", big.string(), (dir / "big.npz").string()});
  EXPECT_EQ(c.exit_code, 0) << c.terminal;
  EXPECT_NE(c.terminal.find("100%"), std::string::npos) << c.terminal;
}

// The label names the file escaped: a crafted name cannot repaint the
// terminal through the bar (whose own "\x1b[K" is the only escape sequence).
TEST_F(CliProgress, TheLabelShowsTheFileNameEscaped) {
  const fs::path crafted = dir / "big\x1b[31m\xe2\x80\xae.safetensors";
  fs::rename(big, crafted);
  auto v = run_with_terminal_stderr({"verify", crafted.string()});
  EXPECT_EQ(v.exit_code, 0) << v.terminal;
  EXPECT_NE(v.terminal.find((dir / "big\\x1b[31m\\u202e.safetensors").string()), std::string::npos)
      << v.terminal;
  EXPECT_EQ(v.terminal.find("\x1b[31m"), std::string::npos) << v.terminal;
  EXPECT_EQ(v.terminal.find("\xe2\x80\xae"), std::string::npos) << v.terminal;
}

TEST_F(CliProgress, NothingOnAPipeOrForSmallWork) {
  auto piped = run_cli({"verify", big.string()});
  EXPECT_EQ(piped.exit_code, 0);
  EXPECT_EQ(piped.err, "");
  auto diff = run_cli({"diff", big.string(), big.string()});
  EXPECT_EQ(diff.exit_code, 0);
  EXPECT_EQ(diff.err, "");

  auto tiny = run_with_terminal_stderr({"verify", small.string()});
  EXPECT_EQ(tiny.exit_code, 0);
  EXPECT_EQ(tiny.terminal, "");
}

} // namespace
