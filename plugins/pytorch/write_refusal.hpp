// The closed set of reasons the pytorch writer refuses a tensor, with one
// formatter: "<phrase> '<tensor>': <detail>". The host refuses dtypes the
// descriptor does not declare before the writer runs; these are the writer's
// own checks of what reaches it.
#pragma once

#include "../common/error_kind.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::pytorch {

enum class WriteRefusal : uint8_t {
  dtype,     // no storage class of torch 1.13 holds the dtype
  name,      // the name is not UTF-8, so it cannot be a Python str
  byte_size, // the host's bytes disagree with the shape and dtype
};

constexpr std::string_view phrase(WriteRefusal kind) {
  switch (kind) {
  case WriteRefusal::dtype:
    return "unsupported dtype for tensor";
  case WriteRefusal::name:
    return "unsupported name for tensor";
  case WriteRefusal::byte_size:
    return "byte size mismatch for tensor";
  }
  return "cannot write tensor";
}

constexpr wio_status status_of(WriteRefusal kind) {
  switch (kind) {
  case WriteRefusal::dtype:
    return WIO_ERR_UNSUPPORTED_DTYPE;
  case WriteRefusal::name:
    return WIO_ERR_UNSUPPORTED_OPTION;
  case WriteRefusal::byte_size:
    return WIO_ERR_INTERNAL;
  }
  return WIO_ERR_INTERNAL;
}

// Throws sdk::Failure with the kind's status and message.
[[noreturn]] inline void refuse(WriteRefusal kind, std::string_view tensor,
                                std::string_view detail) {
  sdk::fail(status_of(kind), common::kind_message(kind, detail, tensor));
}

} // namespace weightio::pytorch
