// Deferred decoding (WIO_STORAGE_DECODE): after a reader described a tensor,
// the host runs the format's decode on its own threads, splitting large
// tensors into the units the reader declared, straight into the buffers the
// tensors will own.
#pragma once

#include <weightio/plugin_abi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace weightio::detail {

struct DecodeJob {
  std::string name;
  std::vector<int64_t> shape;
  int32_t dtype = 0;
  std::string block_type;
  uint64_t offset = 0, source_size = 0, tag = 0, nbytes = 0;
  uint64_t unit_bytes = 0, source_unit_bytes = 0;
  void *dest = nullptr;
};

struct DecodeFailure {
  size_t job = 0; // index of the first job (in order) that failed
  int32_t status = WIO_OK;
  std::string message;
};

// Runs every job on up to `threads` threads (the caller's included).
// Returns the failure of the earliest job that failed, so that the error
// does not depend on the thread count; status WIO_OK when all succeeded.
DecodeFailure run_decodes(const std::vector<DecodeJob> &jobs, const wio_format &format,
                          const uint8_t *data, uint64_t size, const wio_kv *options,
                          size_t option_count, unsigned threads);

// The number of threads LoadOptions::threads asks for (0 = cores, at most 8).
unsigned decode_threads(unsigned requested);

} // namespace weightio::detail
