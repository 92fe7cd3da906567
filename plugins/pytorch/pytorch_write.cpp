#include "pytorch.hpp"

#include <weightio/plugin_sdk.hpp>

namespace weightio::pytorch {

// Placeholder until the write side lands: refuses every call.
void write_pytorch(const wio_write_request &) {
  sdk::fail(WIO_ERR_UNSUPPORTED_OPTION, "the pytorch plugin cannot write yet");
}

} // namespace weightio::pytorch
