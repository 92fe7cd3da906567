#include "decode_jobs.hpp"

#include "plugin_call.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

namespace weightio::detail {

namespace {

// Large enough that a part's call overhead is noise, small enough that two
// cores share a 64 MiB tensor evenly.
constexpr uint64_t kPartBytes = uint64_t{4} << 20;

struct Part {
  size_t job;
  uint64_t first_unit, unit_count;
};

std::vector<Part> split(const std::vector<DecodeJob> &jobs) {
  std::vector<Part> parts;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const DecodeJob &d = jobs[j];
    if (d.unit_bytes == 0 || d.nbytes <= kPartBytes) {
      parts.push_back({j, 0, d.unit_bytes == 0 ? 1 : d.nbytes / d.unit_bytes});
      continue;
    }
    const uint64_t units = d.nbytes / d.unit_bytes;
    const uint64_t per = std::max<uint64_t>(1, kPartBytes / d.unit_bytes);
    for (uint64_t u = 0; u < units; u += per)
      parts.push_back({j, u, std::min(per, units - u)});
  }
  return parts;
}

} // namespace

unsigned decode_threads(unsigned requested) {
  if (requested != 0)
    return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return std::clamp(hw == 0 ? 1u : hw, 1u, 8u);
}

DecodeFailure run_decodes(const std::vector<DecodeJob> &jobs, const wio_format &format,
                          const uint8_t *data, uint64_t size, const wio_kv *options,
                          size_t option_count, unsigned threads) {
  const std::vector<Part> parts = split(jobs);
  std::atomic<size_t> next{0};
  // The earliest failed part so far: parts after it need not run, and the
  // error reported is the earliest part's, whatever the thread count.
  std::atomic<size_t> first_failed{SIZE_MAX};
  std::mutex mutex;
  DecodeFailure failure;

  auto work = [&] {
    char error[kPluginErrorSize];
    for (size_t i = next++; i < parts.size(); i = next++) {
      const Part &p = parts[i];
      if (i > first_failed.load())
        continue;
      const DecodeJob &d = jobs[p.job];
      wio_decode_request r{};
      r.struct_size = sizeof r;
      r.data = data;
      r.size = size;
      r.dtype = d.dtype;
      r.ndim = static_cast<uint32_t>(d.shape.size());
      r.shape = d.shape.data();
      r.name = {d.name.data(), d.name.size()};
      r.block_type = {d.block_type.data(), d.block_type.size()};
      r.offset = d.offset;
      r.source_size = d.source_size;
      r.decode_tag = d.tag;
      r.nbytes = d.nbytes;
      r.unit_bytes = d.unit_bytes;
      r.source_unit_bytes = d.source_unit_bytes;
      r.first_unit = p.first_unit;
      r.unit_count = p.unit_count;
      const uint64_t at = d.unit_bytes == 0 ? 0 : p.first_unit * d.unit_bytes;
      r.dest = static_cast<uint8_t *>(d.dest) + at;
      r.dest_size = d.unit_bytes == 0 ? d.nbytes : p.unit_count * d.unit_bytes;
      r.options = options;
      r.option_count = option_count;
      error[0] = '\0';
      int32_t st = WIO_ERR_INTERNAL;
      try {
        st = format.decode(&r, error, sizeof error);
      } catch (...) { // a C++ plugin that let an exception escape
        std::strcpy(error, "the plugin's decode threw an exception");
      }
      if (st != WIO_OK) {
        std::lock_guard lock(mutex);
        if (i < first_failed.load()) {
          first_failed = i;
          failure.job = p.job;
          failure.status = st == WIO_OK ? WIO_ERR_INTERNAL : st;
          failure.message.assign(error, ::strnlen(error, sizeof error));
        }
      }
    }
  };

  const unsigned n = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(parts.size())));
  std::vector<std::thread> pool;
  try {
    for (unsigned t = 1; t < n; ++t)
      pool.emplace_back(work);
  } catch (...) { // no more threads: the ones started and this one finish the work
  }
  work();
  for (auto &t : pool)
    t.join();
  return failure;
}

} // namespace weightio::detail
