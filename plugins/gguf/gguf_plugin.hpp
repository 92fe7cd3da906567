// The GGUF plugin's three ABI entry points (plugin.cpp holds the descriptor)
// and what they share: the block type names and the ggml <-> weightio dtype
// mapping.
#pragma once

#include "ggml/ggml_types.hpp"

#include <weightio/plugin_abi.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::gguf {

// Block types are declared as "ggml." + gguf-py's name ("ggml.Q4_K").
inline constexpr std::string_view kBlockPrefix = "ggml.";

// The weightio dtype of a plain (floating or integer) ggml type; -1 for
// block-quantized ones.
int32_t plain_dtype(ggml::Type type) noexcept;
// The ggml type a plain weightio dtype is written as, or nullptr.
const ggml::TypeInfo *type_for_dtype(int32_t dtype) noexcept;

int32_t read_file(const wio_read_request *request, char *error, size_t error_size);
int32_t write_file(const wio_write_request *request, char *error, size_t error_size);
int32_t decode_tensor(const wio_decode_request *request, char *error, size_t error_size);

} // namespace weightio::gguf
