#include "atomic_file.hpp"
#include "file_sink.hpp"
#include "log_internal.hpp"
#include "plugin_call.hpp"
#include "registry_internal.hpp"
#include "sharded_save.hpp"

#include <weightio/error.hpp>
#include <weightio/io.hpp>

namespace weightio {

namespace fs = std::filesystem;
using namespace detail;

namespace {

// The C request and the arrays it points into.
struct WriteRequest {
  std::vector<wio_tensor_in> tensors;
  std::vector<std::vector<int64_t>> shapes;
  std::vector<wio_kv> metadata;
  wio_write_request c{};
};

// Everything the format can't do is refused before a byte is written.
void check_capabilities(const FormatInfo &f, const PluginLibrary &plugin, const FlatParams &params,
                        const SaveOptions &o, const std::string &file) {
  const std::string who = " (" + f.name + " plugin, '" + plugin.path().string() + "')";
  for (const auto &[name, view] : params) {
    bool ok = false;
    for (DType d : f.write_dtypes)
      ok = ok || d == view.dtype();
    if (!ok)
      throw UnsupportedError(ErrorCode::UnsupportedDType,
                             "cannot save '" + file + "': tensor '" + name + "' has dtype " +
                                 std::string(dtype_name(view.dtype())) + ", which the " + f.name +
                                 " format cannot hold" + who,
                             file, name);
  }
  if (!o.metadata.empty() && !f.metadata)
    throw UnsupportedError(
        ErrorCode::UnsupportedOption,
        "cannot save '" + file + "': the " + f.name + " format holds no metadata" + who, file);
  if (o.compression != 0 && !f.compression)
    throw UnsupportedError(
        ErrorCode::UnsupportedOption,
        "cannot save '" + file + "': the " + f.name + " format does not compress" + who, file);
  if (o.compression < -1 || o.compression > 9)
    throw Error(ErrorCode::InvalidArgument,
                "cannot save '" + file + "': compression level " + std::to_string(o.compression) +
                    " is not in -1..9",
                file);
}

void build_request(WriteRequest &r, const FlatParams &params, const SaveOptions &o) {
  r.tensors.reserve(params.size());
  for (const auto &[name, view] : params) {
    wio_tensor_in t{};
    t.struct_size = sizeof(wio_tensor_in);
    t.dtype = static_cast<int32_t>(view.dtype());
    t.name = {name.data(), name.size()};
    t.ndim = static_cast<uint32_t>(view.shape().size());
    t.shape = view.shape().data();
    t.data = view.data();
    t.nbytes = view.nbytes();
    r.tensors.push_back(t);
  }
  for (const auto &[k, v] : o.metadata)
    r.metadata.push_back({{k.data(), k.size()}, {v.data(), v.size()}});
  r.c.struct_size = sizeof(wio_write_request);
  r.c.flags = o.force_zip64 ? WIO_WRITE_FORCE_ZIP64 : 0;
  r.c.tensors = r.tensors.data();
  r.c.tensor_count = r.tensors.size();
  r.c.metadata = r.metadata.empty() ? nullptr : r.metadata.data();
  r.c.metadata_count = r.metadata.size();
  r.c.compression_level = o.compression;
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

void run_writer(const ResolvedFormat &fmt, const FlatParams &params, const SaveOptions &o,
                OutputSink &sink, const std::string &file) {
  WriteRequest req;
  build_request(req, params, o);
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
}

} // namespace

void save_weights(const fs::path &path, const FlatParams &params, const SaveOptions &options) {
  if (options.max_shard_bytes != 0 || has_sharded_state(path))
    return save_sharded(path, params, options);
  const std::string file = path.string();
  ResolvedFormat fmt = resolve_format(path, options.format, Need::Write);
  check_capabilities(fmt.format->info, *fmt.plugin, params, options, file);
  AtomicFile out(path);
  FileSink sink(out.fd(), path, options.durable);
  run_writer(fmt, params, options, sink, file);
  out.commit(options.durable);
  log()->debug("saved {} tensors to '{}' ({})", params.size(), file, fmt.format->info.name);
}

std::vector<uint8_t> save_weights_to_memory(const FlatParams &params, const SaveOptions &options) {
  if (options.format.empty())
    throw Error(ErrorCode::InvalidArgument,
                "save_weights_to_memory: SaveOptions::format must name the format");
  const std::string file = "<memory>";
  ResolvedFormat fmt = resolve_format(file, options.format, Need::Write);
  check_capabilities(fmt.format->info, *fmt.plugin, params, options, file);
  MemorySink sink;
  run_writer(fmt, params, options, sink, file);
  return sink.take();
}

} // namespace weightio
