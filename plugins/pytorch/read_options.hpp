// The load options the PyTorch format declares: `root`, and the pickle
// machine's limits (pickle_limits.hpp), each with a safe default.
#pragma once

#include "pickle_limits.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstddef>
#include <string_view>

namespace weightio::pytorch {

// The declarations, for the descriptor: read_option_count() pointers.
const wio_option_decl *const *read_option_decls() noexcept;
size_t read_option_count() noexcept;

struct ReadOptions {
  PickleLimits limits;
  std::string_view root; // borrowed from the request
};

// The request's options (the host passes every declared one, validated,
// defaults filled in; a missing one keeps its default) and the host's
// max_ndim.
ReadOptions read_options(const sdk::ReadContext &ctx);

} // namespace weightio::pytorch
