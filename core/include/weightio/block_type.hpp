// Block-quantized storage types (GGUF's Q4_0, Q8_0, Q4_K, ...): declared as
// data by the plugin that defines them, known to the core only by their
// geometry. A tensor of such a type has DType::Block, a logical shape in
// elements whose innermost dimension is a multiple of block_elements, and
// numel / block_elements * block_bytes bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weightio {

struct BlockType {
  std::string name;        // namespaced: "ggml.Q4_0"
  uint32_t block_elements; // logical elements per block
  uint64_t block_bytes;    // bytes per block
  uint64_t alignment;      // a view's start needs this (a power of two)
  std::string declared_by; // the plugin (or "the host") that declared it first
};

// The block type of that name declared by a loaded plugin or by
// define_block_type; nullptr when none is. The pointer stays valid for the
// life of the process. Runs plugin discovery first.
const BlockType *find_block_type(std::string_view name);

// Declares a block type from the host (e.g. to save tensors of a type whose
// plugin is not loaded yet). Returns the existing one when the name is known
// with the same geometry; throws Error(InvalidArgument) naming both
// declarers when it is known with another geometry, or when the name or
// geometry is invalid.
const BlockType *define_block_type(const std::string &name, uint32_t block_elements,
                                   uint64_t block_bytes, uint64_t alignment = 1);

// Every known block type, by name.
std::vector<const BlockType *> known_block_types();

} // namespace weightio
