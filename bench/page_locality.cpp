// The VM effect behind bench_main.cpp's warm_memory(), measured with plain
// write() and nothing of weightio's: how long a 1 GiB file write takes on
// each CPU after 1 GiB of page cache was freed on one CPU, or on every CPU.
//   page_locality DIR [RUNS]
// Each run starts the same way: no old output, sync, then the warm-up
// (a scratch file written and unlinked by a thread pinned to its CPU).
// Prints, per case, min / median / max in ms. On this VM (free page
// reporting at order 9, docs/PERFORMANCE.md) a write on a CPU that did not
// free the pages is slow and erratic; warming every CPU makes both steady.
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t kChunk = size_t{2} << 20;
constexpr size_t kBytes = size_t{1} << 30;

void write_file(const std::string &path, size_t bytes) {
  static const std::vector<char> block(kChunk, 1);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot create " + path);
  for (size_t done = 0; done < bytes; done += kChunk)
    if (::write(fd, block.data(), kChunk) != static_cast<ssize_t>(kChunk)) {
      ::close(fd);
      throw std::runtime_error("cannot write " + path);
    }
  ::close(fd);
}

// Runs f on a thread pinned to cpu and waits for it.
void on_cpu(int cpu, const std::function<void()> &f) {
  std::thread t([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ::pthread_setaffinity_np(::pthread_self(), sizeof one, &one);
    f();
  });
  t.join();
}

} // namespace

int main(int argc, char **argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: page_locality DIR [RUNS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 6;
  cpu_set_t allowed;
  if (::sched_getaffinity(0, sizeof allowed, &allowed) != 0)
    throw std::runtime_error("sched_getaffinity failed");
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c)
    if (CPU_ISSET(c, &allowed))
      cpus.push_back(c);
  if (cpus.size() < 2)
    throw std::runtime_error("needs two CPUs");
  const std::string out = dir + "/page_locality.out";
  for (const bool every_cpu : {false, true})
    for (const int write_cpu : cpus) {
      std::vector<double> ms;
      for (int r = 0; r < runs; ++r) {
        ::unlink(out.c_str());
        ::sync();
        std::vector<std::thread> warmers;
        for (const int cpu : every_cpu ? cpus : std::vector<int>{cpus[0]})
          warmers.emplace_back(on_cpu, cpu, [&dir, cpu] {
            const std::string scratch = dir + "/page_locality." + std::to_string(cpu);
            write_file(scratch, kBytes);
            ::unlink(scratch.c_str());
          });
        for (auto &t : warmers)
          t.join();
        const auto t0 = std::chrono::steady_clock::now();
        on_cpu(write_cpu, [&] { write_file(out, kBytes); });
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
      }
      std::sort(ms.begin(), ms.end());
      std::printf("freed on %-9s written on CPU %d: %7.1f / %7.1f / %7.1f ms\n",
                  every_cpu ? "every CPU" : ("CPU " + std::to_string(cpus[0])).c_str(), write_cpu,
                  ms.front(), ms[ms.size() / 2], ms.back());
    }
  ::unlink(out.c_str());
  return 0;
} catch (const std::exception &e) {
  std::fprintf(stderr, "page_locality: %s\n", e.what());
  return 1;
}
