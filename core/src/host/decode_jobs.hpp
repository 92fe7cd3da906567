// The load's deferred work, run on the host's threads: decodes and checks a
// reader defers to the host (WIO_STORAGE_DECODE, WIO_STORAGE_CHECKED), and
// the host's own copies, ranged reads and gathers of strided tensors into the
// buffers the tensors will own (or the caller's, for load_weights_into). Large tensors are split
// into parts so that one big tensor still uses every thread.
#pragma once

#include <weightio/plugin_abi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace weightio::detail {

enum class JobKind {
  Decode, // the format's decode into dest
  Check,  // the format's decode with dest NULL (a WIO_STORAGE_CHECKED tensor)
  Copy,   // memcpy of nbytes from src into dest
  Pread,  // pread of nbytes at offset of fd into dest
  Gather, // elements of a storage at src, by strides, into dest in C order
};

struct DecodeJob {
  JobKind kind = JobKind::Decode;
  std::string name;
  std::vector<int64_t> shape;
  int32_t dtype = 0;
  std::string block_type;
  uint64_t offset = 0, source_size = 0, tag = 0, nbytes = 0;
  uint64_t unit_bytes = 0, source_unit_bytes = 0;
  // The format's check runs in parts, then one call combines them
  // (wio_tensor_out.split_check; Decode and Check jobs only).
  bool split_check = false;
  void *dest = nullptr;
  const uint8_t *src = nullptr; // Copy
  int fd = -1;                  // Pread
  // Gather: src is the storage's first byte; element i of the tensor is
  // its element element_offset + sum(i_k * strides[k]).
  std::vector<int64_t> strides;
  uint64_t element_offset = 0;
  uint32_t element_bytes = 0;
  // Copy, Pread, Gather: swap the bytes of each `swap`-byte number placed
  // (a big-endian source); 0 = none.
  uint32_t swap = 0;
  // The tensor the job is part of (an index the caller chose): when every
  // part of every job of a tensor succeeded, on_ready(tensor) runs.
  size_t tensor = SIZE_MAX;
};

struct DecodeFailure {
  size_t job = 0; // index of the first job (in order) that failed
  int32_t status = WIO_OK;
  std::string message;
  bool host = false; // a failure of the host's own read (Pread): an IoError
};

struct DecodeInput {
  const wio_format *format = nullptr; // for Decode and Check jobs
  const uint8_t *data = nullptr;      // the whole input
  uint64_t size = 0;
  const wio_kv *options = nullptr;
  size_t option_count = 0;
  // Drop the input pages a Decode or Check part read once it is done
  // (read_into_memory: the map is only a way in, not memory to keep).
  bool release_source = false;
};

// Runs every job on up to `threads` threads (the caller's included).
// Returns the failure of the earliest job that failed, so that the error
// does not depend on the thread count; status WIO_OK when all succeeded.
// on_ready (may be empty) is called from any of the threads, possibly
// concurrently, once per tensor whose jobs all succeeded; it must not throw.
DecodeFailure run_decodes(const std::vector<DecodeJob> &jobs, const DecodeInput &in,
                          unsigned threads, const std::function<void(size_t)> &on_ready = {});

// Gives the pages that lie wholly inside [p, p + n) of a read-only file
// mapping back to the kernel (MADV_DONTNEED, a hint: failure is harmless).
// The bytes stay readable: a later read faults them in from the page cache.
void release_pages(const uint8_t *p, uint64_t n);

// The number of threads LoadOptions::threads asks for (0 = cores, at most 8).
unsigned decode_threads(unsigned requested);

} // namespace weightio::detail
