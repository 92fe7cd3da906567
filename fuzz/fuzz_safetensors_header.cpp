// The safetensors header parser on arbitrary bytes (the whole file). Beyond
// "no crash, no out-of-bounds", it checks what the reader relies on when the
// parser says yes: every tensor's bytes lie inside the file, match its shape
// and dtype, and the tensors tile the data section in order.
#include "header_parse.hpp"

#include <weightio/dtype_info.hpp>
#include <weightio/plugin_sdk.hpp>

#include <cstdio>
#include <cstdlib>

using namespace weightio;

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "safetensors parser invariant broken: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  safetensors::ParseLimits limits;
  // Small limits so the fuzzer also walks the limit paths.
  limits.max_tensors = 1000;
  limits.max_ndim = 16;
  limits.max_name_bytes = 256;
  try {
    const auto h = safetensors::parse_header({data, size}, limits);
    check(h.data_start == 8 + h.header_len && h.data_start <= size, "header inside the file");
    check(h.tensors.size() <= limits.max_tensors, "max_tensors");
    uint64_t at = 0;
    for (const auto &t : h.tensors) {
      check(sdk::dtype_valid(t.dtype), "dtype");
      check(t.ndim <= limits.max_ndim, "max_ndim");
      check(h.name(t).size() <= limits.max_name_bytes, "max_name_bytes");
      check(t.shape_pos + t.ndim <= h.extents.size(), "shape inside extents");
      check(t.begin == at && t.begin <= t.end, "tensors tile the data");
      check(t.end <= size - h.data_start, "tensor inside the file");
      const auto n = sdk::checked_nbytes(t.dtype, h.extents_i64() + t.shape_pos, t.ndim);
      check(n && *n == t.end - t.begin, "bytes match shape");
      at = t.end;
    }
    check(h.data_start + at == size, "data section fully covered");
  } catch (const sdk::Failure &e) {
    // A file over a limit is refused as LIMIT (the SDK's over_limit), any
    // other defect as INVALID_FILE; nothing else may come out of a parser.
    check(e.status() == WIO_ERR_INVALID_FILE || e.status() == WIO_ERR_LIMIT,
          "refusal is INVALID_FILE or LIMIT");
  }
  return 0;
}
