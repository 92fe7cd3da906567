#include "signals.hpp"

#include <weightio/signals.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

namespace wcli {

namespace {

static_assert(std::atomic<int>::is_always_lock_free,
              "a signal handler may only use lock-free atomics");

std::atomic<int> g_interrupt{0};

// The SIGBUS message, ready to write(2): filled outside the handler.
char g_fault_message[4096];
std::atomic<size_t> g_fault_length{0};

constexpr int kInterrupts[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[3];

void write_all(const char *p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(STDERR_FILENO, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void die_by(int sig) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigemptyset(&dfl.sa_mask);
  ::sigaction(sig, &dfl, nullptr);
  // Blocked while its own handler runs, this one is delivered (with the
  // default action) as soon as the handler returns; another one at once.
  ::raise(sig);
}

void on_interrupt(int sig) {
  const int saved_errno = errno;
  int none = 0;
  if (!g_interrupt.compare_exchange_strong(none, sig)) {
    // The second: the user means it. No more waiting for a progress call.
    weightio::remove_save_temporaries_from_signal_handler();
    die_by(sig);
  }
  errno = saved_errno;
}

void on_bus_error(int sig, siginfo_t *info, void *) {
  weightio::remove_save_temporaries_from_signal_handler();
  // BUS_ADRERR: a mapped page past the end of its file, i.e. the file got
  // shorter after it was mapped. Anything else is not ours to explain.
  if (info != nullptr && info->si_code == BUS_ADRERR) {
    write_all(g_fault_message, g_fault_length.load());
    ::_exit(1);
  }
  die_by(sig);
}

} // namespace

void install_signal_handlers() {
  ::signal(SIGXFSZ, SIG_IGN);
  struct sigaction sa {};
  sa.sa_sigaction = &on_bus_error;
  sa.sa_flags = SA_SIGINFO;
  ::sigemptyset(&sa.sa_mask);
  ::sigaction(SIGBUS, &sa, nullptr);
  on_input_fault("", "an input file changed while it was being read (it was truncated, or its "
                     "storage failed); any output's temporary file was removed");
}

void on_input_fault(const std::string &command, const std::string &message) {
  const std::string text =
      "weightio" + (command.empty() ? std::string() : " " + command) + ": " + message + "\n";
  // Published length 0 while the bytes change, so a handler running meanwhile
  // writes nothing rather than a mix.
  g_fault_length.store(0);
  const size_t n = std::min(text.size(), sizeof g_fault_message);
  std::memcpy(g_fault_message, text.data(), n);
  g_fault_length.store(n);
}

InterruptScope::InterruptScope() {
  g_interrupt.store(0);
  struct sigaction sa {};
  sa.sa_handler = &on_interrupt;
  // Restarted: nothing waits for a system call to fail with EINTR; the work
  // notices the flag at its next progress call.
  sa.sa_flags = SA_RESTART;
  ::sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < 3; ++i) {
    ::sigaction(kInterrupts[i], nullptr, &g_previous[i]);
    // An ignored one stays ignored: `nohup` and background jobs of
    // non-interactive shells ask for that.
    if (g_previous[i].sa_handler != SIG_IGN)
      ::sigaction(kInterrupts[i], &sa, nullptr);
  }
}

InterruptScope::~InterruptScope() {
  for (size_t i = 0; i < 3; ++i)
    ::sigaction(kInterrupts[i], &g_previous[i], nullptr);
}

int interrupted() noexcept {
  return g_interrupt.load();
}

std::string signal_name(int sig) {
  switch (sig) {
  case SIGINT:
    return "SIGINT";
  case SIGTERM:
    return "SIGTERM";
  case SIGHUP:
    return "SIGHUP";
  default:
    return "signal " + std::to_string(sig);
  }
}

} // namespace wcli
