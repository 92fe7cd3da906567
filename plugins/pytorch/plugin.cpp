// The plugin descriptor: what weightio_pytorch.so declares to the host.
#include "pytorch.hpp"
#include "read_options.hpp"

#include <weightio/plugin_sdk.hpp>

namespace {

using namespace weightio;

constexpr const char *kExtensions[] = {"pt", "pth", "bin", nullptr};
// `.bin` is also what GGUF, safetensors and others' files are called: the
// host reads such a file with whichever format's probe says YES, and with
// this one only when none does.
constexpr const char *kShared[] = {"bin", nullptr};
// A folder load counts transformers' names only, so training_args.bin,
// optimizer.pt and rng_state.pth beside a model are not taken for it, and
// prefers another format's checkpoint in the same folder (safetensors, as
// transformers does).
constexpr const char *kFolderNames[] = {"pytorch_model*.bin", nullptr};

// Every dtype torch 1.13 has a typed storage for.
constexpr uint64_t kWriteDTypes =
    WIO_DTYPE_BIT(WIO_DTYPE_BOOL) | WIO_DTYPE_BIT(WIO_DTYPE_U8) | WIO_DTYPE_BIT(WIO_DTYPE_I8) |
    WIO_DTYPE_BIT(WIO_DTYPE_I16) | WIO_DTYPE_BIT(WIO_DTYPE_I32) | WIO_DTYPE_BIT(WIO_DTYPE_I64) |
    WIO_DTYPE_BIT(WIO_DTYPE_F16) | WIO_DTYPE_BIT(WIO_DTYPE_BF16) | WIO_DTYPE_BIT(WIO_DTYPE_F32) |
    WIO_DTYPE_BIT(WIO_DTYPE_F64) | WIO_DTYPE_BIT(WIO_DTYPE_C64) | WIO_DTYPE_BIT(WIO_DTYPE_C128);

int32_t probe(const uint8_t *head, size_t size) {
  return pytorch::probe_pytorch(head, size);
}

int32_t write(const wio_write_request *request, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] { pytorch::write_pytorch(*request); });
}

int32_t read(const wio_read_request *request, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] { pytorch::read_pytorch(*request); });
}

const wio_format kFormat = [] {
  wio_format f = sdk::empty_format();
  f.name = "pytorch";
  f.description = "PyTorch checkpoints (torch.save: zip and legacy formats), read without pickle";
  f.extensions = kExtensions;
  f.shared_extensions = kShared;
  f.folder_names = kFolderNames;
  f.caps = WIO_CAP_READ | WIO_CAP_WRITE;
  f.write_dtypes = kWriteDTypes;
  f.probe = probe;
  f.write = write;
  f.read = read;
  f.options = pytorch::read_option_decls();
  f.option_count = pytorch::read_option_count();
  return f;
}();

const wio_format *const kFormats[] = {&kFormat};

const wio_plugin kPlugin = sdk::make_plugin("pytorch", "1.0.0", kFormats, 1);

} // namespace

WEIGHTIO_DEFINE_PLUGIN(kPlugin)
