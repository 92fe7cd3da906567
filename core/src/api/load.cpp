#include "checkpoint/file_read.hpp"
#include "checkpoint/load_plan.hpp"
#include "checkpoint/load_run.hpp"

#include <weightio/io.hpp>

#include <cstring>

namespace weightio {

using namespace detail;

Weights load_weights(const std::filesystem::path &path, const LoadOptions &options) {
  const LoadOptions o = serialised_ready(options);
  return run_load(plan_load(Location::of(path), o), o);
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
    in.copied = true;
  }
  return read_input(in, "<memory>", serialised_ready(options));
}

} // namespace weightio
