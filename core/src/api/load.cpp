#include "checkpoint/checkpoint_load.hpp"
#include "host/read_call.hpp"
#include "io/input_file.hpp"
#include "registry/registry_internal.hpp"

#include <weightio/error.hpp>
#include <weightio/io.hpp>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace weightio {

namespace fs = std::filesystem;
using namespace detail;

namespace {

Weights load_input(const InputBytes &in, const fs::path &path, const LoadOptions &o,
                   const MutableParams *into = nullptr) {
  const std::string file = path.string();
  ResolvedFormat fmt = resolve_format(path, o.format, Need::Read, /*allow_unknown=*/true);
  if (fmt.format == nullptr) {
    fmt = probe_format(in.data,
                       static_cast<size_t>(std::min<uint64_t>(in.size, WIO_PROBE_MAX_BYTES)), file);
    if (fmt.format == nullptr)
      throw PluginError(ErrorCode::UnknownFormat,
                        "cannot load '" + file +
                            "': no plugin recognises its extension or its first bytes" +
                            known_extensions(path),
                        file);
  }
  const size_t head = static_cast<size_t>(std::min<uint64_t>(in.size, WIO_PROBE_MAX_BYTES));
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
                          e.file(), e.tensor());
    throw;
  }
}

} // namespace

Weights detail::load_file(const fs::path &path, const LoadOptions &options,
                          const MutableParams *into) {
  InputBytes in = open_input(path, {options.read_into_memory, options.populate});
  return load_input(in, path, options, into);
}

LoadOptions detail::serialised_ready(const LoadOptions &options) {
  LoadOptions o = options;
  if (o.on_ready)
    o.on_ready = [mutex = std::make_shared<std::mutex>(),
                  f = options.on_ready](const std::string &name, const Tensor &t) {
      std::lock_guard lock(*mutex);
      f(name, t);
    };
  return o;
}

Weights load_weights(const fs::path &path, const LoadOptions &options) {
  const LoadOptions o = serialised_ready(options);
  if (auto w = load_checkpoint(path, o))
    return std::move(*w);
  return load_file(path, o);
}

Weights load_weights_from_memory(std::span<const uint8_t> bytes, const LoadOptions &options,
                                 std::shared_ptr<const void> keep_alive) {
  InputBytes in;
  if (keep_alive) {
    in = {bytes.data(), bytes.size(), std::move(keep_alive), false};
  } else {
    auto copy = allocate_aligned(bytes.size(), 4096);
    if (!bytes.empty())
      std::memcpy(copy.get(), bytes.data(), bytes.size());
    in = {static_cast<const uint8_t *>(copy.get()), bytes.size(), std::move(copy), false};
  }
  return load_input(in, "<memory>", serialised_ready(options));
}

} // namespace weightio
