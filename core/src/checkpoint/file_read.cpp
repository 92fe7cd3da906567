#include "checkpoint/file_read.hpp"

#include "host/read_call.hpp"
#include "registry/registry_internal.hpp"

#include <weightio/error.hpp>

#include <algorithm>
#include <memory>
#include <mutex>

namespace weightio::detail {

namespace fs = std::filesystem;

Weights read_input(const InputBytes &in, const fs::path &path, const LoadOptions &o,
                   const MutableParams *into) {
  const std::string file = path.string();
  const size_t head = static_cast<size_t>(std::min<uint64_t>(in.size, WIO_PROBE_MAX_BYTES));
  // A shared extension (".bin") names no format: the content does, and the
  // format claiming the extension reads only what no probe recognises.
  ResolvedFormat fmt;
  if (o.format.empty() && content_decides(path))
    fmt = probe_format(in.data, head, file);
  if (fmt.format == nullptr)
    fmt = resolve_format(path, o.format, Need::Read, /*allow_unknown=*/true);
  if (fmt.format == nullptr) {
    fmt = probe_format(in.data, head, file);
    if (fmt.format == nullptr)
      throw PluginError(ErrorCode::UnknownFormat,
                        "cannot load '" + file +
                            "': no plugin recognises its extension or its first bytes" +
                            known_extensions(path),
                        file);
  }
  try {
    return call_read(in, o, fmt, file, into);
  } catch (const FormatError &e) {
    // A file named for one format that holds another: say what it looks like.
    if (!o.format.empty())
      throw;
    for (const auto &name : formats_recognising(in.data, head))
      if (name != fmt.format->info.name)
        throw FormatError(ErrorCode::InvalidFile,
                          std::string(e.what()) + "; it looks like a " + name +
                              " file: rename it or pass --plugin " + name +
                              " (LoadOptions::format)",
                          e.file(), e.tensor(), e.limit());
    throw;
  }
}

Weights read_file(const fs::path &path, const LoadOptions &o, const MutableParams *into) {
  InputBytes in = open_input(path, {o.read_into_memory, o.populate});
  return read_input(in, path, o, into);
}

LoadOptions serialised_ready(const LoadOptions &options) {
  LoadOptions o = options;
  if (o.on_ready)
    o.on_ready = [mutex = std::make_shared<std::mutex>(),
                  f = options.on_ready](const std::string &name, const Tensor &t) {
      std::lock_guard lock(*mutex);
      f(name, t);
    };
  return o;
}

} // namespace weightio::detail
