#include "checkpoint/file_write.hpp"

#include "host/write_call.hpp"
#include "io/atomic_file.hpp"
#include "io/file_sink.hpp"
#include "support/log_internal.hpp"

namespace weightio::detail {

SaveResult write_file(const ResolvedFormat &fmt, const FlatParams &params, const SaveOptions &o,
                      OptionList options, const std::filesystem::path &dest) {
  const std::string file = dest.string();
  AtomicFile out(dest);
  FileSink sink(out.fd(), dest, o.durable);
  SaveResult result = call_write(fmt, params, o, std::move(options), sink, file);
  out.commit(o.durable);
  log()->debug("saved {} tensors to '{}' ({})", params.size(), file, fmt.format->info.name);
  return result;
}

} // namespace weightio::detail
