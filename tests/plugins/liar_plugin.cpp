// A reader that returns bad descriptors, chosen by the file's first byte, so
// tests can prove the core checks what plugins hand back instead of trusting
// it: 'd' an out-of-range dtype, 's' a shape that does not match the bytes,
// 'o' a view outside the file, 'b' a buffer the host never allocated,
// 'n' a duplicate tensor name, 'm' metadata with a null pointer and a length.
#include <weightio/plugin_sdk.hpp>

namespace {

using namespace weightio::sdk;

int32_t read(const wio_read_request *req, char *error, size_t size) {
  return guard(error, size, [&] {
    ReadContext ctx(req);
    if (ctx.size() < 16)
      invalid_file("too short");
    const int64_t shape[1] = {2};
    wio_tensor_out t = mapped_tensor(WIO_DTYPE_F32, "x", shape, 1, 8, 8);
    static int dummy[4];
    switch (ctx.data()[0]) {
    case 'd':
      t.dtype = 1000;
      break;
    case 's':
      t.nbytes = 4;
      break;
    case 'o':
      t.offset = ctx.size();
      break;
    case 'b':
      t.storage = WIO_STORAGE_BUFFER;
      t.buffer = dummy;
      break;
    case 'n':
      ctx.emit(t);
      break;
    case 'm':
      check_host_status(req->emit_metadata(req->ctx, wio_str{nullptr, 5}, wio_str{"v", 1}));
      break;
    default:
      break;
    }
    ctx.emit(t);
  });
}

int32_t probe(const uint8_t *, size_t) {
  return WIO_PROBE_NO;
}

const char *const kExtensions[] = {"liar", nullptr};
const wio_format kFormat = [] {
  wio_format f = weightio::sdk::empty_format();
  f.name = "liar";
  f.description = "lies";
  f.extensions = kExtensions;
  f.caps = WIO_CAP_READ;
  f.probe = probe;
  f.read = read;
  return f;
}();
const wio_format *const kFormats[] = {&kFormat};
const wio_plugin kPlugin = {
    sizeof(wio_plugin), WEIGHTIO_ABI_VERSION, "liar", "0.0.1", kFormats, 1, nullptr};

} // namespace

WEIGHTIO_DEFINE_PLUGIN(kPlugin)
