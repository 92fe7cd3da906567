// The plugin descriptor: what weightio_npz.so declares to the host.
#include "member_decode.hpp"
#include "npz.hpp"

#include <weightio/plugin_sdk.hpp>

namespace {

using namespace weightio;

constexpr const char *kExtensions[] = {"npz", nullptr};

// Every dtype numpy can hold, plus BF16 as MLX's '<V2'. Not FP8, F4, F6.
constexpr uint64_t kWriteDTypes =
    WIO_DTYPE_BIT(WIO_DTYPE_BOOL) | WIO_DTYPE_BIT(WIO_DTYPE_U8) | WIO_DTYPE_BIT(WIO_DTYPE_I8) |
    WIO_DTYPE_BIT(WIO_DTYPE_U16) | WIO_DTYPE_BIT(WIO_DTYPE_I16) | WIO_DTYPE_BIT(WIO_DTYPE_U32) |
    WIO_DTYPE_BIT(WIO_DTYPE_I32) | WIO_DTYPE_BIT(WIO_DTYPE_U64) | WIO_DTYPE_BIT(WIO_DTYPE_I64) |
    WIO_DTYPE_BIT(WIO_DTYPE_F16) | WIO_DTYPE_BIT(WIO_DTYPE_BF16) | WIO_DTYPE_BIT(WIO_DTYPE_F32) |
    WIO_DTYPE_BIT(WIO_DTYPE_F64) | WIO_DTYPE_BIT(WIO_DTYPE_C64) | WIO_DTYPE_BIT(WIO_DTYPE_C128);

int32_t probe(const uint8_t *head, size_t size) {
  return npz::probe_npz(head, size);
}

int32_t write(const wio_write_request *request, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] { npz::write_npz(*request); });
}

int32_t read(const wio_read_request *request, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] { npz::read_npz(*request); });
}

int32_t decode(const wio_decode_request *request, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] { npz::decode_member(*request); });
}

const wio_option_decl kZip64 =
    sdk::bool_option(WIO_OPTION_SAVE, "zip64",
                     "write ZIP64 records even where the archive does not need them", false);
const wio_option_decl *const kOptions[] = {&kZip64};

const wio_format kFormat = [] {
  wio_format f = sdk::empty_format();
  f.name = "npz";
  f.description =
      "NumPy .npz archives (numpy.savez / savez_compressed, MLX savez), stored or deflated";
  f.extensions = kExtensions;
  f.caps = WIO_CAP_READ | WIO_CAP_WRITE | WIO_CAP_COMPRESSION;
  f.write_dtypes = kWriteDTypes;
  f.probe = probe;
  f.write = write;
  f.read = read;
  f.decode = decode;
  // probe_bytes: the default (4096): the probe reads the first member's
  // name, which follows a 30-byte local header.
  f.options = kOptions;
  f.option_count = 1;
  return f;
}();

const wio_format *const kFormats[] = {&kFormat};

const wio_plugin kPlugin = sdk::make_plugin("npz", "1.0.0", kFormats, 1);

} // namespace

WEIGHTIO_DEFINE_PLUGIN(kPlugin)
