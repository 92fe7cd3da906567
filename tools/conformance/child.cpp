#include "child.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>

#include <poll.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define WIO_KIT_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WIO_KIT_SANITIZED 1
#endif

namespace wcli::conformance {

namespace {

// A field of /proc/<pid>/status in bytes ("VmRSS:    1234 kB"); 0 if absent.
uint64_t status_field(const std::string &file, const char *field) {
  std::ifstream in(file);
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, n, field) == 0)
      return std::strtoull(line.c_str() + n + 1, nullptr, 10) * 1024;
  return 0;
}

void limit_address_space(uint64_t budget) {
#ifndef WIO_KIT_SANITIZED
  const uint64_t size = status_field("/proc/self/status", "VmSize");
  rlimit r{};
  r.rlim_cur = r.rlim_max = size + 8 * budget;
  setrlimit(RLIMIT_AS, &r);
#else
  (void)budget; // sanitizers reserve terabytes of address space
#endif
}

int crash_fd = -1;

// A crashing plugin ends the child at once, by the signal itself: a
// sanitizer's own handler would first symbolize a report, which can take
// more memory than the budget and be mistaken for a balloon.
extern "C" void on_deadly_signal(int sig) {
  if (crash_fd >= 0) {
    const char msg[] = "!signal\n";
    [[maybe_unused]] ssize_t ignored = ::write(crash_fd, msg, sizeof msg - 1);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void catch_deadly_signals(int fd) {
  crash_fd = fd;
  struct sigaction sa {};
  sa.sa_handler = on_deadly_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL})
    sigaction(sig, &sa, nullptr);
}

} // namespace

void LineWriter::line(const std::string &text) {
  std::string out = text;
  out += '\n';
  const char *p = out.data();
  size_t left = out.size();
  while (left > 0) {
    const ssize_t w = ::write(fd_, p, left);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      _exit(3);
    p += w;
    left -= static_cast<size_t>(w);
  }
}

uint64_t self_rss() {
  return status_field("/proc/self/status", "VmRSS");
}

uint64_t self_peak_rss() {
  return status_field("/proc/self/status", "VmHWM");
}

bool reset_peak_rss() {
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5"; // resets VmHWM (Linux 4.0+)
    if (!clear.flush())
      return false;
  }
  return self_peak_rss() <= self_rss() + (1u << 20);
}

ChildRun run_child(const std::function<void(LineWriter &)> &body, const ChildLimits &limits) {
  ChildRun run;
  int fds[2];
  if (pipe(fds) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0)
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(fds[0]);
    catch_deadly_signals(fds[1]);
    limit_address_space(limits.memory_budget);
    int status = 0;
    try {
      LineWriter w(fds[1]);
      body(w);
    } catch (const std::exception &e) {
      LineWriter(fds[1]).line(std::string("!exception ") + e.what());
      status = 4;
    } catch (...) {
      status = 4;
    }
    ::close(fds[1]);
    _exit(status);
  }
  ::close(fds[1]);
  const std::string status_file = "/proc/" + std::to_string(pid) + "/status";
  using Clock = std::chrono::steady_clock;
  auto last = Clock::now();
  uint64_t baseline = status_field(status_file, "VmRSS");
  std::string pending;
  bool eof = false;
  while (!eof) {
    pollfd p{fds[0], POLLIN, 0};
    const int r = poll(&p, 1, 10);
    if (r > 0) {
      char buf[65536];
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) {
        eof = n == 0 || errno != EINTR;
      } else {
        pending.append(buf, static_cast<size_t>(n));
        for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
          run.lines.push_back(pending.substr(0, nl));
          pending.erase(0, nl + 1);
          last = Clock::now();
          baseline = status_field(status_file, "VmRSS");
        }
      }
    }
    if (eof)
      break;
    const uint64_t rss = status_field(status_file, "VmRSS");
    if (rss > baseline) {
      run.peak_growth = std::max(run.peak_growth, rss - baseline);
      if (rss - baseline > limits.memory_budget) {
        run.over_memory = true;
        ::kill(pid, SIGKILL);
        break;
      }
    }
    if (std::chrono::duration<double>(Clock::now() - last).count() > limits.idle_timeout_s) {
      run.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status))
    run.term_signal = WTERMSIG(status);
  else if (WIFEXITED(status))
    run.exit_status = WEXITSTATUS(status);
  run.completed = !run.timed_out && !run.over_memory && WIFEXITED(status) && run.exit_status == 0;
  return run;
}

std::string describe_end(const ChildRun &run, const ChildLimits &limits) {
  auto mib = [](uint64_t b) { return std::to_string((b + (1u << 20) - 1) >> 20) + " MiB"; };
  if (run.timed_out)
    return "hung (no progress for " + std::to_string(static_cast<int>(limits.idle_timeout_s)) +
           " s; killed)";
  if (run.over_memory)
    return "allocated too much memory (resident memory grew by over " + mib(run.peak_growth) +
           ", over its budget of " + mib(limits.memory_budget) + "; killed)";
  if (run.term_signal != 0) {
    const char *name = sigabbrev_np(run.term_signal);
    return "crashed (signal " + std::to_string(run.term_signal) + ", SIG" + (name ? name : "?") +
           ")";
  }
  if (!run.lines.empty() && run.lines.back().rfind("!exception ", 0) == 0)
    return "threw: " + run.lines.back().substr(11);
  return "crashed (exited with status " + std::to_string(run.exit_status) +
         " before finishing; a sanitizer report or abort goes to stderr)";
}

} // namespace wcli::conformance
