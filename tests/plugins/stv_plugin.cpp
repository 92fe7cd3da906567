// "stv": a test format whose file spells out each tensor's ABI-3 storage
// declaration, so tests can hand the host any storage, stride, offset and
// byte-swap request (good ones and bad ones) and check what it places or
// refuses. Little-endian: "STV1", u32 count, then per tensor u32 name
// length, name, i32 dtype, u32 ndim, i64 shape[ndim], i64 strides[ndim],
// u32 storage kind, u32 tensor flags, u64 offset, element offset, storage
// id, storage offset, storage size, nbytes. Tensor bytes lie wherever the
// offsets say. Extensions .stv and .bin (shared: the content decides); a
// folder counts only stv_model*.stv / stv_model*.bin, and yields to others.
#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <cstring>
#include <vector>

namespace {

using namespace weightio;

int32_t probe(const uint8_t *head, size_t size) {
  if (size < 4)
    return WIO_PROBE_UNSURE;
  return std::memcmp(head, "STV1", 4) == 0 ? WIO_PROBE_YES : WIO_PROBE_NO;
}

int32_t read(const wio_read_request *req, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] {
    sdk::ReadContext ctx(req);
    sdk::ByteReader r(ctx.data(), ctx.size());
    if (r.bytes(4, "magic") != std::string_view("STV1"))
      sdk::invalid_file("not an stv file");
    const uint32_t count = r.u32("field");
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t name_len = r.u32("field");
      const std::string name(r.bytes(name_len, "name"));
      const int32_t dtype = static_cast<int32_t>(r.u32("field"));
      const uint32_t ndim = r.u32("field");
      if (ndim > 8)
        sdk::invalid_file("too many dimensions");
      std::vector<int64_t> shape(ndim), strides(ndim);
      for (auto &d : shape)
        d = static_cast<int64_t>(r.u64("field"));
      for (auto &s : strides)
        s = static_cast<int64_t>(r.u64("field"));
      wio_tensor_out t{};
      t.struct_size = sizeof t;
      t.dtype = dtype;
      t.name = sdk::make_str(name);
      t.ndim = ndim;
      t.shape = shape.data();
      t.strides = strides.data();
      t.storage = static_cast<int32_t>(r.u32("field"));
      t.tensor_flags = r.u32("field");
      t.offset = r.u64("field");
      t.element_offset = r.u64("field");
      t.storage_id = r.u64("field");
      t.storage_offset = r.u64("field");
      t.storage_size = r.u64("field");
      t.nbytes = r.u64("field");
      if ((req->flags & WIO_READ_DESCRIBE) && t.storage == WIO_STORAGE_STRIDED)
        t.storage = WIO_STORAGE_NONE;
      ctx.emit(t);
    }
  });
}

constexpr const char *kExtensions[] = {"stv", "bin", nullptr};
constexpr const char *kShared[] = {"bin", nullptr};
constexpr const char *kFolderNames[] = {"stv_model*.stv", "stv_model*.bin", nullptr};

const wio_format kFormat = [] {
  wio_format f = sdk::empty_format();
  f.name = "stv";
  f.description = "test: tensors that declare ABI-3 storages, strides and byte swaps";
  f.extensions = kExtensions;
  f.shared_extensions = kShared;
  f.folder_names = kFolderNames;
  f.caps = WIO_CAP_READ;
  f.probe = probe;
  f.read = read;
  return f;
}();

const wio_format *const kFormats[] = {&kFormat};
const wio_plugin kPlugin = sdk::make_plugin("stv", "1.0.0", kFormats, 1);

} // namespace

WEIGHTIO_DEFINE_PLUGIN(kPlugin)
