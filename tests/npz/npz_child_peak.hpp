// Runs a piece of a test in a forked child and measures how much the child's
// peak resident memory grew while it ran (VmHWM from /proc/self/status, reset
// first through /proc/self/clear_refs), so a test can say "constant memory"
// about a load without the test process's own history in the figure.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <string>

namespace npztest {

struct ChildRun {
  bool finished = false;        // the child reported back (no crash, no timeout)
  uint64_t peak_growth_kib = 0; // VmHWM at the end minus VmRSS at the start
  std::string result;           // what `body` returned
};

inline uint64_t status_kib(const char *field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0)
      return std::stoull(line.substr(key.size()));
  return 0;
}

// `body` runs in the child, which is killed after `timeout_s` seconds; it
// returns a line of text for the parent (e.g. an error message).
inline ChildRun run_in_child(const std::function<std::string()> &body, unsigned timeout_s = 300) {
  int fds[2];
  if (pipe(fds) != 0)
    return {};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(timeout_s);
    std::string report;
    // "5" resets the peak RSS to the current RSS (Linux 4.0, proc(5)).
    std::ofstream("/proc/self/clear_refs") << "5";
    const uint64_t base = status_kib("VmRSS");
    std::string result;
    try {
      result = body();
    } catch (const std::exception &e) {
      result = std::string("exception: ") + e.what();
    }
    const uint64_t peak = status_kib("VmHWM");
    report = std::to_string(peak > base ? peak - base : 0) + "\n" + result;
    size_t off = 0;
    while (off < report.size()) {
      const ssize_t n = write(fds[1], report.data() + off, report.size() - off);
      if (n <= 0)
        break;
      off += static_cast<size_t>(n);
    }
    _exit(0); // no atexit handlers, no leak check of the parent's objects
  }
  close(fds[1]);
  ChildRun run;
  if (pid < 0) {
    close(fds[0]);
    return run;
  }
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  const size_t nl = text.find('\n');
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && nl != std::string::npos) {
    run.finished = true;
    run.peak_growth_kib = std::stoull(text.substr(0, nl));
    run.result = text.substr(nl + 1);
  } else {
    run.result = "child did not report (status " + std::to_string(status) + "): " + text;
  }
  return run;
}

} // namespace npztest
