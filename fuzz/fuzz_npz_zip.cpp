// The ZIP container parser (end records, ZIP64, central directory, local
// headers). When it accepts an archive, every member's data must lie inside
// the file, before the central directory, and no two members may overlap:
// that is what the npz reader relies on before it touches member bytes. And
// no deflated member may declare more than deflate can produce (1032 bytes
// per compressed byte): the reader allocates by the declared size.
#include "zip/zip_reader.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace weightio;

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "zip reader invariant broken: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  zip::ZipLimits limits;
  limits.max_entries = 10000;
  limits.max_directory_bytes = 1 << 20;
  limits.max_name_bytes = 1024;
  try {
    const auto entries = zip::read_zip_directory({data, size}, limits);
    check(entries.size() <= limits.max_entries, "max_entries");
    uint64_t prev_end = 0;
    for (const auto &e : entries) {
      check(e.name.size() <= limits.max_name_bytes * 3, "name length"); // CP437 -> UTF-8 grows
      check(e.local_offset < e.data_offset, "local header before data");
      check(e.data_offset <= size && e.compressed_size <= size - e.data_offset,
            "member data inside the file");
      check(e.local_offset >= prev_end, "members do not overlap");
      check(e.method != 8 || e.compressed_size > UINT64_MAX / 1032 ||
                e.uncompressed_size <= e.compressed_size * 1032,
            "declared size within deflate's ratio");
      prev_end = e.data_offset + e.compressed_size;
    }
  } catch (const sdk::Failure &e) {
    // A file over a limit is refused as LIMIT (the SDK's over_limit), any
    // other defect as INVALID_FILE; nothing else may come out of a parser.
    check(e.status() == WIO_ERR_INVALID_FILE || e.status() == WIO_ERR_LIMIT,
          "refusal is INVALID_FILE or LIMIT");
  }
  return 0;
}
