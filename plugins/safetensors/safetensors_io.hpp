// The format's two ABI entry points, wired into the descriptor by plugin.cpp.
#pragma once

#include <weightio/plugin_abi.h>

#include <cstddef>
#include <cstdint>

namespace weightio::safetensors {

int32_t write_file(const wio_write_request *request, char *error, size_t error_size) noexcept;
int32_t read_file(const wio_read_request *request, char *error, size_t error_size) noexcept;

} // namespace weightio::safetensors
