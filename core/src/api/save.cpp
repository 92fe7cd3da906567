#include "checkpoint/save_checks.hpp"
#include "checkpoint/save_plan.hpp"
#include "checkpoint/save_run.hpp"
#include "host/write_call.hpp"
#include "io/memory_sink.hpp"
#include "registry/registry_internal.hpp"

#include <weightio/error.hpp>
#include <weightio/io.hpp>

namespace weightio {

namespace fs = std::filesystem;
using namespace detail;

SaveResult save_weights(const fs::path &path, const FlatParams &params,
                        const SaveOptions &options) {
  return run_save(plan_save(Location::of(path), params, options), options);
}

std::vector<uint8_t> save_weights_to_memory(const FlatParams &params, const SaveOptions &options,
                                            SaveResult *result) {
  if (options.format.empty())
    throw Error(ErrorCode::InvalidArgument,
                "save_weights_to_memory: SaveOptions::format must name the format");
  const std::string file = "<memory>";
  ResolvedFormat fmt = resolve_format(file, options.format, Need::Write);
  OptionList opts = check_save(fmt.format->info, params, options, file);
  MemorySink sink;
  SaveResult r = call_write(fmt, params, options, std::move(opts), sink, file);
  if (result)
    *result = std::move(r);
  return sink.take();
}

} // namespace weightio
