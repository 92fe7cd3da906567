// A writer that fails after writing part of the file, to prove saves are
// atomic: the old file must survive byte-identical, with no temporary left.
#include <weightio/plugin_sdk.hpp>

#include <vector>

namespace {

int32_t write(const wio_write_request *req, char *error, size_t size) {
  return weightio::sdk::guard(error, size, [&] {
    weightio::sdk::Sink sink(req->sink);
    std::vector<uint8_t> junk(3 << 20, 0xAB); // past the core's write buffer
    sink.write(junk.data(), junk.size());
    weightio::sdk::fail(WIO_ERR_INTERNAL, "simulated failure half-way through the file");
  });
}

int32_t probe(const uint8_t *, size_t) {
  return WIO_PROBE_NO;
}

const char *const kExtensions[] = {"failw", nullptr};
const wio_format kFormat = [] {
  wio_format f = weightio::sdk::empty_format();
  f.name = "failw";
  f.description = "fails half-way";
  f.extensions = kExtensions;
  f.caps = WIO_CAP_WRITE;
  f.write_dtypes = ~uint64_t{0} >> (64 - WIO_DTYPE_COUNT_V1);
  f.probe = probe;
  f.write = write;
  return f;
}();
const wio_format *const kFormats[] = {&kFormat};
const wio_plugin kPlugin = {
    sizeof(wio_plugin), WEIGHTIO_ABI_VERSION, "failw", "0.0.1", kFormats, 1, nullptr};

} // namespace

WEIGHTIO_DEFINE_PLUGIN(kPlugin)
