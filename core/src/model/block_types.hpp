// The process-wide table of block-quantized types (block_type.hpp): plugins'
// declarations enter it as the plugins load.
#pragma once

#include <weightio/block_type.hpp>
#include <weightio/plugin_abi.h>

#include <string>

namespace weightio::detail {

// Checks a declaration as data; empty when valid, else the reason.
std::string check_block_type(const wio_block_type *b);

// Enters a plugin's declaration, or returns the entry already there with the
// same geometry. Throws PluginError naming `declared_by` and the first
// declarer when the geometry differs.
const BlockType *declare_block_type(const wio_block_type &b, const std::string &declared_by);

} // namespace weightio::detail
