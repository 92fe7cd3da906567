// The VM effect behind bench_main.cpp's warm_memory(), measured with plain
// write() and nothing of weightio's: how long a 1 GiB file write takes on
// each CPU after 1 GiB of page cache was freed on one CPU, or on every CPU.
//   page_locality DIR [RUNS]
// Each run starts the same way: no old output, sync, then the warm-up
// (a scratch file written and unlinked by a thread pinned to its CPU).
// Prints, per case, min / median / max in ms. On this VM (free page
// reporting at order 9, docs/PERFORMANCE.md) a write on a CPU that did not
// free the pages is slow and erratic; warming every CPU makes both steady.
#include "cpu_warm.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr uint64_t kChunk = uint64_t{2} << 20;
constexpr uint64_t kBytes = uint64_t{1} << 30;

} // namespace

int main(int argc, char **argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: page_locality DIR [RUNS]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 6;
  std::vector<int> cpus = bench::allowed_cpus();
  if (cpus.size() < 2)
    throw std::runtime_error("needs two CPUs");
  cpus.resize(2);
  const std::string out = dir + "/page_locality.out";
  for (const bool every_cpu : {false, true})
    for (const int write_cpu : cpus) {
      std::vector<double> ms;
      for (int r = 0; r < runs; ++r) {
        ::unlink(out.c_str());
        ::sync();
        bench::warm_cpus(every_cpu ? cpus : std::vector<int>{cpus[0]}, dir, kBytes, kChunk);
        const auto t0 = std::chrono::steady_clock::now();
        std::thread([&] {
          bench::pin_to_cpu(write_cpu);
          bench::write_file(out, kBytes, kChunk);
        }).join();
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
