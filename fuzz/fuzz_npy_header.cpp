// The .npy header: preamble (magic, version, length) and the dict, which a
// strict literal parser reads (never an evaluator: the text is untrusted).
// Input: the first bytes of an .npy member; the dict is whatever follows the
// preamble up to the header length it declares (clipped to the input).
#include "npy_header.hpp"

#include <weightio/dtype_info.hpp>
#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

using namespace weightio;

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "npy header invariant broken: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try {
    const auto pre = npz::parse_npy_preamble({data, std::min(size, npz::kNpyPreambleMax)});
    check(pre.preamble_size == npz::kNpyPreambleMin || pre.preamble_size == npz::kNpyPreambleMax,
          "preamble size");
    check(pre.header_size >= pre.preamble_size, "header covers the preamble");
    if (pre.preamble_size > size)
      return 0;
    const uint64_t end = std::min<uint64_t>(pre.header_size, size);
    npz::NpyLimits limits;
    limits.max_ndim = 32;
    const auto h = npz::parse_npy_dict({data + pre.preamble_size, data + end}, pre.major, limits);
    check(sdk::dtype_valid(h.dtype), "dtype");
    check(h.shape.size() <= limits.max_ndim, "max_ndim");
    const auto n =
        sdk::checked_nbytes(h.dtype, h.shape.data(), static_cast<uint32_t>(h.shape.size()));
    check(n && *n == h.data_nbytes, "data_nbytes matches shape");
  } catch (const sdk::Failure &e) {
    // A file over a limit is refused as LIMIT (the SDK's over_limit), any
    // other defect as INVALID_FILE; nothing else may come out of a parser.
    check(e.status() == WIO_ERR_INVALID_FILE || e.status() == WIO_ERR_LIMIT,
          "refusal is INVALID_FILE or LIMIT");
  }
  return 0;
}
