#include "pytorch.hpp"

#include <weightio/plugin_sdk.hpp>

namespace weightio::pytorch {

// Placeholder until the read side lands: refuses every call.
void read_pytorch(const wio_read_request &) {
  sdk::fail(WIO_ERR_UNSUPPORTED_OPTION, "the pytorch plugin cannot read yet");
}

int32_t probe_pytorch(const uint8_t *, size_t) noexcept {
  return WIO_PROBE_NO;
}

} // namespace weightio::pytorch
