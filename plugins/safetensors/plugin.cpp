// The plugin descriptor: one format, "safetensors", read and write.
#include "dtype_order.hpp"
#include "header_parse.hpp"
#include "safetensors_io.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

namespace weightio::safetensors {

namespace {

// safetensors has no magic number: a plausible header length followed by a
// JSON object is the best evidence there is.
int32_t probe(const uint8_t *head, size_t size) noexcept {
  if (size < 8)
    return WIO_PROBE_NO; // the official reader refuses such files anyway
  const uint64_t n = sdk::load_le<uint64_t>(head);
  if (n < 2 || n > kMaxHeaderBytes)
    return WIO_PROBE_NO;
  const size_t end = n < size - 8 ? static_cast<size_t>(8 + n) : size;
  for (size_t i = 8; i < end; ++i) {
    const uint8_t c = head[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      continue;
    return c == '{' ? WIO_PROBE_YES : WIO_PROBE_NO;
  }
  return WIO_PROBE_UNSURE;
}

constexpr uint64_t write_dtypes() {
  uint64_t mask = 0;
  for (int32_t d : kWriterDTypeOrder)
    mask |= WIO_DTYPE_BIT(d);
  return mask;
}

const char *const kExtensions[] = {"safetensors", nullptr};

const wio_format kFormat = [] {
  wio_format f = sdk::empty_format();
  f.name = "safetensors";
  f.description =
      "Hugging Face safetensors (byte-identical to the official writer; zero-copy reads)";
  f.extensions = kExtensions;
  f.caps = WIO_CAP_READ | WIO_CAP_WRITE | WIO_CAP_METADATA;
  f.metadata_types = WIO_VALUE_BIT(WIO_VALUE_STRING); // __metadata__ is str -> str
  f.write_dtypes = write_dtypes();
  f.probe = probe;
  f.write = write_file;
  f.read = read_file;
  return f;
}();

const wio_format *const kFormats[] = {&kFormat};

const wio_plugin kPlugin = sdk::make_plugin("safetensors", "1.0.0", kFormats, 1);

} // namespace

} // namespace weightio::safetensors

WEIGHTIO_DEFINE_PLUGIN(weightio::safetensors::kPlugin)
