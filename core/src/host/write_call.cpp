#include "host/write_call.hpp"

#include "registry/legacy_options.hpp"

#include "host/c_value.hpp"
#include "host/plugin_status.hpp"
#include "host/sink_adapter.hpp"

#include <algorithm>
#include <cstddef>

namespace weightio::detail {

namespace {

// wio_tensor_in as ABI 1 laid it out: an ABI-1 plugin walks the tensor array
// at this stride.
struct TensorInV1 {
  uint32_t struct_size;
  int32_t dtype;
  wio_str name;
  uint32_t ndim;
  const int64_t *shape;
  const void *data;
  uint64_t nbytes;
};
static_assert(sizeof(TensorInV1) == offsetof(wio_tensor_in, block_type),
              "ABI 1's wio_tensor_in is the prefix of ABI 2's");

// The C request and the arrays it points into.
struct WriteRequest {
  std::vector<wio_tensor_in> tensors;
  std::vector<TensorInV1> tensors_v1;
  std::vector<wio_kv> metadata;
  std::vector<wio_metadata> values;
  ValueArena arena;
  OptionList option_text;
  std::vector<wio_kv> options;
  wio_write_request c{};
};

void build_request(WriteRequest &r, const FlatParams &params, const SaveOptions &o,
                   OptionList options, uint32_t plugin_abi) {
  const bool v1 = plugin_abi < 2;
  if (v1)
    r.tensors_v1.reserve(params.size());
  else
    r.tensors.reserve(params.size());
  for (const auto &[name, view] : params) {
    wio_tensor_in t{};
    t.struct_size = sizeof(wio_tensor_in);
    t.dtype = view.block_type() ? WIO_DTYPE_BLOCK : static_cast<int32_t>(view.dtype());
    t.name = {name.data(), name.size()};
    t.ndim = static_cast<uint32_t>(view.shape().size());
    t.shape = view.shape().data();
    t.data = view.data();
    t.nbytes = view.nbytes();
    if (const BlockType *b = view.block_type())
      t.block_type = {b->name.data(), b->name.size()};
    if (v1)
      r.tensors_v1.push_back(
          {sizeof(TensorInV1), t.dtype, t.name, t.ndim, t.shape, t.data, t.nbytes});
    else
      r.tensors.push_back(t);
  }
  for (const auto &[k, v] : o.metadata) {
    if (v.is_string())
      r.metadata.push_back({{k.data(), k.size()}, {v.as_string().data(), v.as_string().size()}});
    r.values.push_back({{k.data(), k.size()}, r.arena.make(v)});
  }
  r.option_text = std::move(options);
  r.options = c_options(r.option_text);
  r.c.struct_size = sizeof(wio_write_request);
  r.c.flags = legacy_write_flags(r.option_text, o);
  r.c.tensors =
      v1 ? reinterpret_cast<const wio_tensor_in *>(r.tensors_v1.data()) : r.tensors.data();
  r.c.tensor_count = params.size();
  r.c.metadata = r.metadata.empty() ? nullptr : r.metadata.data();
  r.c.metadata_count = r.metadata.size();
  r.c.compression_level = o.compression;
  r.c.values = r.values.empty() ? nullptr : r.values.data();
  r.c.value_count = r.values.size();
  r.c.options = r.options.empty() ? nullptr : r.options.data();
  r.c.option_count = r.options.size();
}

// About how long a stored save's output will be: the tensors' bytes plus
// room for headers. Compressed outputs are smaller by an unknown factor, so
// nothing is reserved for them.
uint64_t expected_size(const FlatParams &params, const SaveOptions &o) {
  if (o.compression != 0)
    return 0;
  uint64_t bytes = uint64_t{64} << 10;
  for (const auto &[name, view] : params)
    bytes += view.nbytes() + 256 + name.size();
  return bytes;
}

} // namespace

SaveResult call_write(const ResolvedFormat &fmt, const FlatParams &params, const SaveOptions &o,
                      OptionList options, OutputSink &sink, const std::string &file) {
  WriteRequest req;
  build_request(req, params, o, std::move(options), fmt.plugin->info().abi_version);
  sink.expect(expected_size(params, o));
  SinkAdapter adapter(sink, o.progress, file);
  req.c.sink = adapter.c_sink();
  char error[kPluginErrorSize] = {};
  const int32_t st = fmt.format->c->write(&req.c, error, sizeof error);
  if (st != WIO_OK)
    throw_plugin_status(st, error, adapter.error(), file, *fmt.plugin, "save");
  if (adapter.error()) // the plugin ignored a sink failure
    std::rethrow_exception(adapter.error());
  sink.flush();
  return {adapter.take_warnings()};
}

} // namespace weightio::detail
