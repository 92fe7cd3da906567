// The weightio side of the benchmark. One operation per process (so that its
// peak RSS is its own):
//   weightio_bench --op OP --workload NAME --data DIR --out DIR --runs N
//                  [Google Benchmark flags, e.g. --benchmark_format=json]
// Ops: raw_write, raw_write_fsync, raw_write_contiguous, raw_read, save_npz, save_npz_durable,
// save_npz_compressed, load_npz, load_npz_numpy, load_npz_numpy_compressed, save_st,
// save_st_durable, load_st_open, load_st_touch, save_gguf, load_gguf_open, load_gguf_touch,
// save_st_4shards, load_st_4shards_touch, load_npz_fresh, load_st_fresh, load_st_read
// (read_into_memory), load_into_st (load_weights_into), memcpy_into (its floor),
// load_pt_describe (describe_only), load_pt_touch (of NAME.torch.bin, which
// bench/pytorch_bench.py makes with torch.save).
// --threads N sets LoadOptions::threads (0, the default: the library's default).
#include "bench_workload.hpp"
#include "cpu_warm.hpp"

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <vector>

namespace fs = std::filesystem;
using namespace weightio;

namespace {

struct Args {
  std::string op, workload, data, out;
  int runs = 5;
  unsigned threads = 0;
  bool peak = false; // one untimed run with no warming: peak RSS only
};

// Resident memory from /proc/self/status (VmRSS now, VmHWM the peak).
long status_kb(const char *field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const size_t n = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, n, field) == 0 && line.size() > n && line[n] == ':')
      return std::stol(line.substr(n + 1));
  throw std::runtime_error(std::string("no ") + field + " in /proc/self/status");
}

// Restarts the peak at the current RSS (Linux >= 4.0), so that the work done
// to set an operation up (making its input file) is not taken for its peak.
void reset_peak_rss() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

// This VM hands memory that has stayed free for a couple of seconds back to
// the host (free page reporting), and the next use of it runs ~10x slower.
// Touching anonymous memory does not fix that for a save: the page cache
// allocates elsewhere. Writing and unlinking a scratch file of the working
// set's size does: it leaves just-freed pages where the next page-cache and
// heap allocations find them. Measured in docs/PERFORMANCE.md ("Two modes").
// "Where" is per CPU: a 1 GiB write() on the CPU that freed the pages takes
// ~140 ms, the same write on the other CPU 150 to 1,800 ms, run to run
// (bench/page_locality.cpp, no weightio in it). A save may write on any CPU
// (weightio's file sink writes on a thread of its own, numpy on the calling
// one), so every CPU the process may run on is warmed, each by a thread
// pinned to it, all at once.
void warm_memory(const fs::path &dir, uint64_t bytes) {
  const std::vector<int> cpus = bench::allowed_cpus();
  // On a large machine, warm less per CPU rather than exhaust memory.
  const uint64_t avail = static_cast<uint64_t>(::sysconf(_SC_AVPHYS_PAGES)) *
                         static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  bench::warm_cpus(cpus, dir.string(), std::min(bytes, avail / 2 / cpus.size()));
}

// Every timed run starts from the same state: no old file to truncate or
// unlink inside the timing (that frees a GiB of page cache), and no dirty
// pages of earlier runs being written back on the other core.
void start_clean(const std::string &output) {
  if (!output.empty()) {
    std::error_code ec;
    if (fs::is_directory(output, ec)) { // a sharded save's folder
      fs::remove_all(output, ec);
      fs::create_directories(output, ec);
    } else {
      ::unlink(output.c_str());
    }
  }
  ::sync();
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

// write() of the parameters' bytes into a new file. `contiguous`: the whole
// buffer in 16 MiB calls, the least a save of these bytes can cost (the floor
// for many small tensors); otherwise one call per tensor, as a naive saver.
void raw_write(const Workload &w, const fs::path &path, bool durable, bool contiguous) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("open failed");
  auto write_all = [fd](const void *data, uint64_t size) {
    const auto *p = static_cast<const char *>(data);
    for (uint64_t done = 0; done < size;) {
      const uint64_t want = std::min<uint64_t>(size - done, uint64_t{16} << 20);
      const ssize_t n = ::write(fd, p + done, want);
      if (n <= 0)
        throw std::runtime_error("write failed");
      done += static_cast<uint64_t>(n);
    }
  };
  if (contiguous)
    write_all(w.bytes.get(), w.params_bytes);
  else
    for (const auto &[name, v] : w.params)
      write_all(v.data(), v.nbytes());
  if (durable && ::fsync(fd) != 0)
    throw std::runtime_error("fsync failed");
  ::close(fd);
}

void raw_read(const fs::path &path, void *buffer, uint64_t size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error("open failed");
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
    else if (k == "--threads")
      a.threads = static_cast<unsigned>(std::stoul(next()));
    else if (k == "--peak")
      a.peak = true;
    else
      rest.push_back(argv[i]);
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());

  Workload w = load_workload(a.data, a.workload);
  const fs::path out = a.out;
  const std::string stem = (out / a.workload).string();
  const uint64_t warm_bytes = std::min<uint64_t>(w.params_bytes, uint64_t{1} << 30);

  SaveOptions fast;
  fast.durable = false;
  SaveOptions durable;
  SaveOptions compressed = fast;
  compressed.compression = -1;
  LoadOptions lo;
  lo.threads = a.threads;
  LoadOptions read_in = lo;
  read_in.read_into_memory = true;
  // load_weights_into's destination: buffers the host already owns (touched).
  std::vector<std::shared_ptr<void>> host_buffers;
  MutableParams into;
  std::vector<std::pair<const void *, void *>> memcpy_pairs;
  std::shared_ptr<Weights> source;
  auto make_host_buffers = [&] {
    for (const auto &[name, v] : w.params) {
      host_buffers.push_back(allocate_aligned(v.nbytes(), 64));
      std::memset(host_buffers.back().get(), 0, v.nbytes());
      into.emplace(name, {v.dtype(), v.shape(), host_buffers.back().get()});
    }
  };

  std::function<void()> run;
  std::function<void()> setup = [] {};      // files and buffers the op needs
  std::function<void()> warm_cache = [] {}; // page cache, for timed runs only
  std::function<void()> prepare = [] {};    // before each run, untimed
  std::string output;                       // the file a save (re)creates
  std::string mapped;                       // the file a load maps
  uint64_t file_bytes = 0;
  std::shared_ptr<void> read_buffer;
  const std::string npz = stem + ".weightio.npz", st = stem + ".weightio.safetensors";
  const std::string gguf = stem + ".weightio.gguf";
  // Four shards of (nearly) equal size, in a folder of their own.
  const std::string shards_dir = stem + ".weightio-4shards";
  SaveOptions four_shards = fast;
  four_shards.max_shard_bytes = (w.params_bytes + 3) / 4 + (uint64_t{64} << 20);
  const auto &op = a.op;
  if (op == "raw_write" || op == "raw_write_fsync" || op == "raw_write_contiguous") {
    output = stem + ".raw";
    run = [&, sync = op == "raw_write_fsync", contiguous = op == "raw_write_contiguous"] {
      raw_write(w, output, sync, contiguous);
    };
  } else if (op == "raw_read") {
    setup = [&] {
      raw_write(w, stem + ".raw", false, true);
      // Touched now, so that the timed reads do not fault it in.
      read_buffer = allocate_aligned(w.params_bytes, 4096);
      std::memset(read_buffer.get(), 0, w.params_bytes);
    };
    warm_cache = [&] { raw_read(stem + ".raw", read_buffer.get(), w.params_bytes); };
    run = [&] { raw_read(stem + ".raw", read_buffer.get(), w.params_bytes); };
  } else if (op == "save_npz" || op == "save_npz_durable") {
    output = npz;
    run = [&, o = op == "save_npz" ? fast : durable] { save_weights(npz, w.params, o); };
  } else if (op == "save_npz_compressed") {
    output = stem + ".weightio-compressed.npz";
    run = [&] { save_weights(output, w.params, compressed); };
  } else if (op == "load_npz" || op == "load_npz_numpy" || op == "load_npz_numpy_compressed") {
    const std::string file = op == "load_npz"         ? npz
                             : op == "load_npz_numpy" ? stem + ".numpy.npz"
                                                      : stem + ".numpy-compressed.npz";
    mapped = file;
    setup = [&, file, numpy_file = op != "load_npz"] {
      // numpy's file can only come from numpy (numpy_bench.py savez).
      if (numpy_file && !fs::exists(file))
        throw std::runtime_error(file + " is missing: run numpy_bench.py savez first");
      if (!fs::exists(file))
        save_weights(file, w.params, fast);
    };
    warm_cache = [&, file] { touch_all(load_weights(file, lo)); };
    run = [&, file] { benchmark::DoNotOptimize(touch_all(load_weights(file, lo))); };
  } else if (op == "load_st_read" || op == "load_into_st" || op == "memcpy_into") {
    setup = [&] {
      if (!fs::exists(st))
        save_weights(st, w.params, fast);
      if (op != "load_st_read")
        make_host_buffers();
      if (op == "memcpy_into") {
        // The floor: the file's bytes already mapped and resident.
        source = std::make_shared<Weights>(load_weights(st));
        touch_all(*source);
        for (const auto &[name, t] : *source)
          memcpy_pairs.emplace_back(t.data(), into.at(name).data);
      }
    };
    warm_cache = [&] { touch_all(load_weights(st)); };
    if (op == "load_st_read")
      run = [&] { benchmark::DoNotOptimize(touch_all(load_weights(st, read_in))); };
    else if (op == "load_into_st")
      run = [&] { benchmark::DoNotOptimize(load_weights_into(st, into, true, lo).size()); };
    else
      run = [&] {
        size_t i = 0;
        for (const auto &[name, t] : *source) {
          std::memcpy(memcpy_pairs[i].second, memcpy_pairs[i].first, t.nbytes());
          ++i;
        }
        benchmark::ClobberMemory();
      };
  } else if (op == "save_st" || op == "save_st_durable") {
    output = st;
    run = [&, o = op == "save_st" ? fast : durable] { save_weights(st, w.params, o); };
  } else if (op == "save_gguf") {
    output = gguf;
    run = [&] { save_weights(gguf, w.params, fast); };
  } else if (op == "load_st_open" || op == "load_st_touch" || op == "load_gguf_open" ||
             op == "load_gguf_touch") {
    // Mapped formats: the open alone, or the open and a touch of every byte.
    const std::string file = op.rfind("load_st", 0) == 0 ? st : gguf;
    const bool touching = op.size() > 6 && op.compare(op.size() - 6, 6, "_touch") == 0;
    if (touching)
      mapped = file;
    setup = [&, file] {
      if (!fs::exists(file))
        save_weights(file, w.params, fast);
    };
    warm_cache = [&, file] { touch_all(load_weights(file)); };
    if (touching)
      run = [&, file] { benchmark::DoNotOptimize(touch_all(load_weights(file))); };
    else
      run = [&, file] { benchmark::DoNotOptimize(load_weights(file).size()); };
  } else if (op == "load_pt_describe" || op == "load_pt_touch") {
    // A checkpoint as users have them: torch.save's own file (made by
    // bench/pytorch_bench.py), never one this library wrote.
    const std::string file = stem + ".torch.bin";
    setup = [file] {
      if (!fs::exists(file))
        throw std::runtime_error(file + " is missing: run bench/pytorch_bench.py first");
    };
    warm_cache = [&, file] { touch_all(load_weights(file, lo)); };
    if (op == "load_pt_touch") {
      mapped = file;
      run = [&, file] { benchmark::DoNotOptimize(touch_all(load_weights(file, lo))); };
    } else {
      LoadOptions describe = lo;
      describe.describe_only = true;
      run = [file, describe] { benchmark::DoNotOptimize(load_weights(file, describe).size()); };
    }
  } else if (op == "save_st_4shards") {
    output = shards_dir;
    setup = [&] { fs::create_directories(shards_dir); };
    run = [&] { save_weights(shards_dir + "/model.safetensors", w.params, four_shards); };
  } else if (op == "load_st_4shards_touch") {
    mapped = shards_dir;
    setup = [&] {
      if (!fs::exists(shards_dir + "/model.safetensors.index.json")) {
        fs::create_directories(shards_dir);
        save_weights(shards_dir + "/model.safetensors", w.params, four_shards);
      }
    };
    warm_cache = [&] { touch_all(load_weights(shards_dir)); };
    run = [&] { benchmark::DoNotOptimize(touch_all(load_weights(shards_dir))); };
  } else if (op == "load_npz_fresh" || op == "load_st_fresh") {
    // The load right after a save of the file (a new file each run, made
    // and synced untimed): what the page cache holds then depends on how
    // the save wrote (docs/PERFORMANCE.md, "Write pattern").
    const std::string file =
        stem + (op == "load_npz_fresh" ? ".fresh.weightio.npz" : ".fresh.weightio.safetensors");
    mapped = file;
    prepare = [&, file] {
      ::unlink(file.c_str());
      save_weights(file, w.params, fast);
      ::sync();
    };
    run = [&, file] { benchmark::DoNotOptimize(touch_all(load_weights(file))); };
  } else {
    std::cerr << "unknown --op " << op << "\n";
    return 2;
  }

  setup();
  if (a.peak) {
    // The file is in place; a save's destination is gone, as in timed runs.
    start_clean(output);
    prepare();
    reset_peak_rss();
    const long base = status_kb("VmRSS");
    run();
    // A load that touches every byte has the whole mapping resident; what
    // it costs beyond that is peak - mapped.
    uint64_t mapped_bytes = 0;
    if (!mapped.empty() && fs::is_directory(mapped)) // a sharded checkpoint: all its files
      for (const auto &e : fs::directory_iterator(mapped))
        mapped_bytes += e.is_regular_file() ? e.file_size() : 0;
    else if (!mapped.empty())
      mapped_bytes = fs::file_size(mapped);
    const uint64_t mapped_kb = mapped_bytes / 1024;
    std::cout << "{\"peak_over_base_kb\": " << (status_kb("VmHWM") - base)
              << ", \"mapped_kb\": " << mapped_kb << "}\n";
    return 0;
  }
  warm_cache();
  benchmark::RegisterBenchmark(
      (op + "/" + a.workload).c_str(),
      [&](benchmark::State &state) {
        for (auto _ : state) {
          state.PauseTiming();
          start_clean(output);
          prepare();
          warm_memory(out, warm_bytes);
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
