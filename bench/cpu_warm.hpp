// Pinning threads to CPUs and the page-cache warm-up both benchmark
// programs use (weightio_bench, page_locality). No weightio in it.
//
// Why: this VM hands freed memory back to the host, and a freed page is fast
// to reuse only on the CPU that freed it (docs/PERFORMANCE.md, "The gate
// settled"). A file written and unlinked on a CPU leaves just-freed pages
// that the next page-cache and heap allocations on that CPU find.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace bench {

// The CPUs this process may run on. Throws std::runtime_error if the OS
// won't say.
inline std::vector<int> allowed_cpus() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0)
    throw std::runtime_error("sched_getaffinity failed");
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &allowed))
      cpus.push_back(c);
  return cpus;
}

// Keeps the calling thread on `cpu` from now on.
inline void pin_to_cpu(int cpu) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  ::pthread_setaffinity_np(::pthread_self(), sizeof one, &one);
}

// Writes `bytes` of ones to a new file at `path` in write()s of `chunk`
// (at most 64 MiB). Throws std::runtime_error, leaving no file, on failure.
inline void write_file(const std::string &path, uint64_t bytes, uint64_t chunk) {
  static const std::vector<char> block(uint64_t{64} << 20, 1);
  chunk = std::min<uint64_t>(chunk, block.size());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot create " + path);
  for (uint64_t done = 0; done < bytes; done += chunk) {
    const uint64_t n = std::min(chunk, bytes - done);
    if (::write(fd, block.data(), n) != static_cast<ssize_t>(n)) {
      ::close(fd);
      ::unlink(path.c_str());
      throw std::runtime_error("cannot write " + path);
    }
  }
  ::close(fd);
}

// On each of `cpus` at once, a thread pinned to it writes and unlinks a
// scratch file of `bytes` in `dir` (never written back: its pages are just
// dropped). Rethrows the first failure once every thread is done.
inline void warm_cpus(const std::vector<int> &cpus, const std::string &dir, uint64_t bytes,
                      uint64_t chunk = uint64_t{64} << 20) {
  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(cpus.size());
  for (size_t i = 0; i < cpus.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        pin_to_cpu(cpus[i]);
        const std::string scratch = dir + "/warm." + std::to_string(cpus[i]) + ".scratch";
        write_file(scratch, bytes, chunk);
        ::unlink(scratch.c_str());
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  for (auto &t : threads)
    t.join();
  for (auto &e : errors)
    if (e)
      std::rethrow_exception(e);
}

} // namespace bench
