// Throws ordinary C++ exceptions inside the SDK's guard: the host must get a
// status and the message, never an exception across the C boundary.
#include <weightio/plugin_sdk.hpp>

#include <stdexcept>

namespace {

int32_t write(const wio_write_request *, char *error, size_t size) {
  return weightio::sdk::guard(error, size, [] { throw std::runtime_error("boom in the writer"); });
}

int32_t read(const wio_read_request *, char *error, size_t size) {
  return weightio::sdk::guard(error, size, [] { throw std::logic_error("boom in the reader"); });
}

int32_t probe(const uint8_t *, size_t) {
  return WIO_PROBE_NO;
}

const char *const kExtensions[] = {"throwfmt", nullptr};
const wio_format kFormat = [] {
  wio_format f = weightio::sdk::empty_format();
  f.name = "throwfmt";
  f.description = "throws";
  f.extensions = kExtensions;
  f.caps = WIO_CAP_READ | WIO_CAP_WRITE;
  f.write_dtypes = ~uint64_t{0} >> (64 - WIO_DTYPE_COUNT_V1);
  f.probe = probe;
  f.write = write;
  f.read = read;
  return f;
}();
const wio_format *const kFormats[] = {&kFormat};
const wio_plugin kPlugin = {
    sizeof(wio_plugin), WEIGHTIO_ABI_VERSION, "throwfmt", "0.0.1", kFormats, 1, nullptr};

} // namespace

WEIGHTIO_DEFINE_PLUGIN(kPlugin)
