// The weightio side of the benchmark. One operation per process (so that its
// peak RSS is its own):
//   weightio_bench --op OP --workload NAME --data DIR --out DIR --runs N
//                  [Google Benchmark flags, e.g. --benchmark_format=json]
// Ops: raw_write, raw_write_fsync, raw_read, save_npz, save_npz_durable,
// save_npz_compressed, load_npz, load_npz_numpy, save_st, save_st_durable,
// load_st_open, load_st_touch.
#include "bench_workload.hpp"

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <iostream>
#include <map>

namespace fs = std::filesystem;
using namespace weightio;

namespace {

struct Args {
  std::string op, workload, data, out;
  int runs = 5;
  bool peak = false; // one untimed run with no warming: peak RSS only
};

long max_rss_kb() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_maxrss;
}

// Memory freed and idle for a moment goes back to the hypervisor and is slow
// to touch again: touch a working set's worth before each timed run.
void warm_memory(uint64_t bytes) {
  auto p = allocate_aligned(bytes, 4096);
  std::memset(p.get(), 1, bytes);
  benchmark::DoNotOptimize(p.get());
}

// Reads every byte, as a consumer of the weights would.
uint64_t touch(const void *data, uint64_t n) {
  const auto *p = static_cast<const uint8_t *>(data);
  uint64_t acc = 0;
  uint64_t i = 0;
  if (reinterpret_cast<uintptr_t>(p) % 8 == 0)
    for (; i + 8 <= n; i += 8) {
      uint64_t v;
      std::memcpy(&v, p + i, 8);
      acc += v;
    }
  for (; i < n; ++i)
    acc += p[i];
  return acc;
}

uint64_t touch_all(const Weights &w) {
  uint64_t acc = 0;
  for (const auto &[name, t] : w)
    acc += touch(t.data(), t.nbytes());
  return acc;
}

void raw_write(const Workload &w, const fs::path &path, bool durable) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("open failed");
  for (const auto &[name, v] : w.params) {
    const auto *p = static_cast<const char *>(v.data());
    uint64_t done = 0;
    while (done < v.nbytes()) {
      ssize_t n = ::write(fd, p + done, v.nbytes() - done);
      if (n <= 0)
        throw std::runtime_error("write failed");
      done += static_cast<uint64_t>(n);
    }
  }
  if (durable)
    ::fsync(fd);
  ::close(fd);
}

void raw_read(const fs::path &path, void *buffer, uint64_t size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, static_cast<char *>(buffer) + done, size - done);
    if (n <= 0)
      break;
    done += static_cast<uint64_t>(n);
  }
  ::close(fd);
}

} // namespace

int main(int argc, char **argv) {
  Args a;
  std::vector<char *> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        throw std::runtime_error("missing value for " + k);
      return argv[++i];
    };
    if (k == "--op")
      a.op = next();
    else if (k == "--workload")
      a.workload = next();
    else if (k == "--data")
      a.data = next();
    else if (k == "--out")
      a.out = next();
    else if (k == "--runs")
      a.runs = std::stoi(next());
    else if (k == "--peak")
      a.peak = true;
    else
      rest.push_back(argv[i]);
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());

  Workload w = load_workload(a.data, a.workload);
  const long base_rss = max_rss_kb();
  const fs::path out = a.out;
  const std::string stem = (out / a.workload).string();
  const uint64_t warm_bytes = std::min<uint64_t>(w.params_bytes, uint64_t{1} << 30);

  SaveOptions fast;
  fast.durable = false;
  SaveOptions durable;
  SaveOptions compressed = fast;
  compressed.compression = -1;

  std::function<void()> run;
  std::function<void()> setup = [] {};   // files and buffers the op needs
  std::function<void()> warm_cache = [] {}; // page cache, for timed runs only
  uint64_t file_bytes = 0;
  std::shared_ptr<void> read_buffer;
  const std::string npz = stem + ".weightio.npz", st = stem + ".weightio.safetensors";
  const auto &op = a.op;
  if (op == "raw_write" || op == "raw_write_fsync") {
    run = [&, sync = op == "raw_write_fsync"] { raw_write(w, stem + ".raw", sync); };
  } else if (op == "raw_read") {
    setup = [&] {
      raw_write(w, stem + ".raw", false);
      read_buffer = allocate_aligned(w.params_bytes, 4096);
    };
    run = [&] { raw_read(stem + ".raw", read_buffer.get(), w.params_bytes); };
  } else if (op == "save_npz" || op == "save_npz_durable") {
    run = [&, o = op == "save_npz" ? fast : durable] { save_weights(npz, w.params, o); };
  } else if (op == "save_npz_compressed") {
    run = [&] { save_weights(stem + ".weightio-compressed.npz", w.params, compressed); };
  } else if (op == "load_npz" || op == "load_npz_numpy") {
    const std::string file = op == "load_npz" ? npz : stem + ".numpy.npz";
    setup = [&, file] {
      if (!fs::exists(file))
        save_weights(file, w.params, fast);
    };
    warm_cache = [&, file] { touch_all(load_weights(file)); };
    run = [&, file] { benchmark::DoNotOptimize(touch_all(load_weights(file))); };
  } else if (op == "save_st" || op == "save_st_durable") {
    run = [&, o = op == "save_st" ? fast : durable] { save_weights(st, w.params, o); };
  } else if (op == "load_st_open" || op == "load_st_touch") {
    setup = [&] {
      if (!fs::exists(st))
        save_weights(st, w.params, fast);
    };
    warm_cache = [&] { touch_all(load_weights(st)); };
    if (op == "load_st_open")
      run = [&] { benchmark::DoNotOptimize(load_weights(st).size()); };
    else
      run = [&] { benchmark::DoNotOptimize(touch_all(load_weights(st))); };
  } else {
    std::cerr << "unknown --op " << op << "\n";
    return 2;
  }

  setup();
  if (a.peak) {
    const long before = max_rss_kb();
    run();
    std::cout << "{\"peak_over_base_kb\": " << (max_rss_kb() - base_rss)
              << ", \"setup_over_base_kb\": " << (before - base_rss) << "}\n";
    return 0;
  }
  warm_cache();
  benchmark::RegisterBenchmark((op + "/" + a.workload).c_str(), [&](benchmark::State &state) {
    for (auto _ : state) {
      state.PauseTiming();
      warm_memory(warm_bytes);
      state.ResumeTiming();
      run();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * w.params_bytes));
    if (op == "save_npz_compressed")
      file_bytes = fs::file_size(stem + ".weightio-compressed.npz");
    state.counters["file_bytes"] = static_cast<double>(file_bytes);
    state.counters["params_bytes"] = static_cast<double>(w.params_bytes);
  })
      ->Iterations(1)
      ->Repetitions(a.runs)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
