#include "host/decode_jobs.hpp"

#include "host/plugin_status.hpp"
#include "support/os_error.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
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

// Copies and reads split at any byte (at a number, when swapping), gathers
// at rows of the innermost dimension; the format's work at its units.
uint64_t unit_of(const DecodeJob &d) {
  if (d.kind == JobKind::Copy || d.kind == JobKind::Pread)
    return d.swap != 0 ? d.swap : 1;
  if (d.kind == JobKind::Gather)
    return d.shape.empty() ? 0 : static_cast<uint64_t>(d.shape.back()) * d.element_bytes;
  return d.kind == JobKind::Check && !d.split_check ? 0 : d.unit_bytes;
}

std::vector<Part> split(const std::vector<DecodeJob> &jobs) {
  std::vector<Part> parts;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const DecodeJob &d = jobs[j];
    const uint64_t unit = unit_of(d);
    if (unit == 0 || d.nbytes <= kPartBytes) {
      parts.push_back({j, 0, unit == 0 ? 1 : d.nbytes / unit});
      continue;
    }
    const uint64_t units = d.nbytes / unit;
    const uint64_t per = std::max<uint64_t>(1, kPartBytes / unit);
    for (uint64_t u = 0; u < units; u += per)
      parts.push_back({j, u, std::min(per, units - u)});
  }
  return parts;
}

// Reads n bytes at `offset` into dest; returns an error text or "".
std::string pread_all(int fd, uint8_t *dest, uint64_t n, uint64_t offset) {
  while (n > 0) {
    const ssize_t got = ::pread(fd, dest, static_cast<size_t>(std::min<uint64_t>(n, 1u << 30)),
                                static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0)
      return "read failed: " + os_reason(errno);
    if (got == 0)
      return "read failed: the file shrank while being read";
    dest += got;
    offset += static_cast<uint64_t>(got);
    n -= static_cast<uint64_t>(got);
  }
  return {};
}

// The format's decode call for a Decode or Check job: a part, or (part
// NULL) the last call of a split check, which gets every part's result.
int32_t call_decode(const DecodeJob &d, const Part *p, wio_check_part *check,
                    const wio_check_part *all, size_t all_count, const DecodeInput &in, char *error,
                    size_t error_size) {
  const uint64_t unit = unit_of(d);
  wio_decode_request r{};
  r.struct_size = sizeof r;
  r.data = in.data;
  r.size = in.size;
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
  if (p != nullptr) {
    r.first_unit = p->first_unit;
    r.unit_count = p->unit_count;
    if (d.kind == JobKind::Decode) {
      r.dest = static_cast<uint8_t *>(d.dest) + (unit == 0 ? 0 : p->first_unit * unit);
      r.dest_size = unit == 0 ? d.nbytes : p->unit_count * unit;
    }
  } else { // the last call of a split check: the whole tensor, no bytes
    r.first_unit = 0;
    r.unit_count = unit == 0 ? 1 : d.nbytes / unit;
  }
  r.options = in.options;
  r.option_count = in.option_count;
  r.check_part = check;
  r.check_parts = all;
  r.check_part_count = all_count;
  int32_t st = WIO_ERR_INTERNAL;
  try {
    st = in.format->decode(&r, error, error_size);
  } catch (...) { // a C++ plugin that let an exception escape
    st = status_for(std::current_exception());
    std::snprintf(error, error_size, "the plugin's decode threw an exception");
  }
  if (in.release_source && p != nullptr) {
    if (unit == 0)
      release_pages(in.data + d.offset, d.source_size);
    else
      release_pages(in.data + d.offset + p->first_unit * d.source_unit_bytes,
                    p->unit_count * d.source_unit_bytes);
  }
  return st;
}

// Reverses each `width`-byte number of [p, p + n).
void swap_bytes(uint8_t *p, uint64_t n, uint32_t width) {
  for (uint64_t i = 0; i + width <= n; i += width)
    std::reverse(p + i, p + i + width);
}

// Rows [first, first + count) of a Gather job (a row: the innermost
// dimension's elements; a 0-d tensor is one row of one element).
void gather_rows(const DecodeJob &d, uint64_t first, uint64_t count) {
  const size_t nd = d.shape.size();
  const uint64_t es = d.element_bytes;
  const uint64_t inner = nd == 0 ? 1 : static_cast<uint64_t>(d.shape.back());
  const int64_t inner_stride = nd == 0 ? 0 : d.strides.back();
  // The outer index of the first row, and its element in the storage.
  std::vector<int64_t> index(nd == 0 ? 0 : nd - 1, 0);
  uint64_t at = d.element_offset;
  for (uint64_t r = first, k = index.size(); k-- > 0;) {
    const auto extent = static_cast<uint64_t>(d.shape[k]);
    index[k] = static_cast<int64_t>(r % extent);
    r /= extent;
    at += static_cast<uint64_t>(index[k]) * static_cast<uint64_t>(d.strides[k]);
  }
  auto *out = static_cast<uint8_t *>(d.dest) + first * inner * es;
  for (uint64_t row = 0; row < count; ++row) {
    if (inner_stride == 1) {
      std::memcpy(out, d.src + at * es, inner * es);
      out += inner * es;
    } else {
      for (uint64_t j = 0; j < inner; ++j, out += es)
        std::memcpy(out, d.src + (at + j * static_cast<uint64_t>(inner_stride)) * es, es);
    }
    // The next row: the odometer over the outer dimensions.
    for (size_t k = index.size(); k-- > 0;) {
      at += static_cast<uint64_t>(d.strides[k]);
      if (++index[k] < d.shape[k])
        break;
      at -= static_cast<uint64_t>(d.shape[k]) * static_cast<uint64_t>(d.strides[k]);
      index[k] = 0;
    }
  }
}

// Runs one part; returns its status and writes a message into `error`.
int32_t run_part(const DecodeJob &d, const Part &p, wio_check_part *check, const DecodeInput &in,
                 char *error, size_t error_size) {
  const uint64_t unit = unit_of(d);
  const uint64_t at = unit == 0 ? 0 : p.first_unit * unit;
  const uint64_t bytes = unit == 0 ? d.nbytes : p.unit_count * unit;
  uint8_t *const dest = static_cast<uint8_t *>(d.dest) + at;
  if (d.kind == JobKind::Copy || d.kind == JobKind::Gather) {
    if (bytes == 0) // an empty tensor: no row to gather, and maybe an extent 0
      return WIO_OK;
    if (d.kind == JobKind::Gather)
      gather_rows(d, unit == 0 ? 0 : p.first_unit, unit == 0 ? 1 : p.unit_count);
    else
      std::memcpy(dest, d.src + at, bytes);
    if (d.swap != 0)
      swap_bytes(dest, bytes, d.swap);
    return WIO_OK;
  }
  if (d.kind == JobKind::Pread) {
    const std::string e = pread_all(d.fd, dest, bytes, d.offset + at);
    if (e.empty()) {
      if (d.swap != 0)
        swap_bytes(dest, bytes, d.swap);
      return WIO_OK;
    }
    std::snprintf(error, error_size, "%s", e.c_str());
    return WIO_ERR_IO;
  }
  if (check != nullptr) {
    check->first_unit = p.first_unit;
    check->unit_count = p.unit_count;
    check->result = 0;
  }
  return call_decode(d, &p, check, nullptr, 0, in, error, error_size);
}

} // namespace

unsigned decode_threads(unsigned requested) {
  if (requested != 0)
    return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return std::clamp(hw == 0 ? 1u : hw, 1u, 8u);
}

void release_pages(const uint8_t *p, uint64_t n) {
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t a = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
  const uintptr_t b = (reinterpret_cast<uintptr_t>(p) + n) & ~(page - 1);
  if (b > a)
    ::madvise(reinterpret_cast<void *>(a), b - a, MADV_DONTNEED); // a hint: failure is harmless
}

DecodeFailure run_decodes(const std::vector<DecodeJob> &jobs, const DecodeInput &in,
                          unsigned threads, const std::function<void(size_t)> &on_ready) {
  const std::vector<Part> parts = split(jobs);
  // Parts still to finish, and whether one failed, per tensor (for on_ready).
  size_t tensors = 0;
  if (on_ready)
    for (const DecodeJob &d : jobs)
      if (d.tensor != SIZE_MAX)
        tensors = std::max(tensors, d.tensor + 1);
  std::unique_ptr<std::atomic<uint64_t>[]> pending(new std::atomic<uint64_t>[tensors]);
  std::unique_ptr<std::atomic<bool>[]> broken(new std::atomic<bool>[tensors]);
  for (size_t t = 0; t < tensors; ++t) {
    pending[t] = 0;
    broken[t] = false;
  }
  if (tensors != 0)
    for (const Part &p : parts)
      if (jobs[p.job].tensor != SIZE_MAX)
        ++pending[jobs[p.job].tensor];

  // Split checks: every part's result, and per job its first part and the
  // parts still to run; the thread that finishes a job's last part makes
  // the combining call.
  std::vector<wio_check_part> checks;
  std::vector<size_t> first_part(jobs.size(), SIZE_MAX), part_count(jobs.size(), 0);
  for (size_t i = 0; i < parts.size(); ++i) {
    const size_t j = parts[i].job;
    if (!jobs[j].split_check || (jobs[j].kind != JobKind::Check && jobs[j].kind != JobKind::Decode))
      continue;
    if (first_part[j] == SIZE_MAX)
      first_part[j] = i;
    ++part_count[j];
  }
  std::unique_ptr<std::atomic<uint64_t>[]> unchecked(new std::atomic<uint64_t>[jobs.size()]);
  for (size_t j = 0; j < jobs.size(); ++j)
    unchecked[j] = part_count[j];
  if (std::any_of(first_part.begin(), first_part.end(), [](size_t f) { return f != SIZE_MAX; }))
    checks.resize(parts.size());

  std::atomic<size_t> next{0};
  // The earliest failed part so far: parts after it need not run, and the
  // error reported is the earliest part's, whatever the thread count.
  std::atomic<size_t> first_failed{SIZE_MAX};
  std::mutex mutex;
  DecodeFailure failure;

  // Records a failure of part i (or of its job's combining call, reported
  // as its job's first part so that errors keep file order).
  auto record = [&](size_t i, size_t job, int32_t st, const char *error) {
    std::lock_guard lock(mutex);
    if (i < first_failed.load()) {
      first_failed = i;
      failure.job = job;
      failure.status = st;
      failure.message.assign(error, ::strnlen(error, kPluginErrorSize));
      failure.host = jobs[job].kind == JobKind::Pread;
    }
  };

  auto work = [&] {
    char error[kPluginErrorSize];
    for (size_t i = next++; i < parts.size(); i = next++) {
      const Part &p = parts[i];
      const DecodeJob &d = jobs[p.job];
      const size_t tensor = d.tensor;
      const bool tracked = tensor != SIZE_MAX && tensor < tensors;
      const size_t first = first_part[p.job];
      const bool split = first != SIZE_MAX;
      bool ok = i <= first_failed.load();
      if (ok) {
        error[0] = '\0';
        const int32_t st = run_part(d, p, split ? &checks[i] : nullptr, in, error, sizeof error);
        if (st != WIO_OK) {
          ok = false;
          record(i, p.job, st, error);
        }
      }
      if (split) {
        // A failed or skipped part leaves its job's count above zero for
        // good: the combining call is never made.
        if (!ok)
          unchecked[p.job] += uint64_t{1} << 32;
        if (--unchecked[p.job] == 0) {
          error[0] = '\0';
          const int32_t st = call_decode(d, nullptr, nullptr, &checks[first], part_count[p.job], in,
                                         error, sizeof error);
          if (st != WIO_OK) {
            ok = false;
            record(first, p.job, st, error);
          }
        }
      }
      if (tracked && !ok)
        broken[tensor] = true;
      if (tracked && --pending[tensor] == 0 && !broken[tensor])
        on_ready(tensor);
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
