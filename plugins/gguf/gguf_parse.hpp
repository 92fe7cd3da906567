// Reads a GGUF file (version 2 or 3, little- or big-endian) into a File,
// checking everything a hostile file could get wrong before it is used:
// every count, length and offset against the bytes that are there (so the
// memory used is bounded by the file's size), value types, BOOL bytes,
// array nesting, ASCII keys, duplicate keys and tensor names,
// general.alignment (a UINT32 power of two), dimensions (1 to 4, no 0 outside
// the innermost, element count below 2^63), ggml type ids, block multiples,
// and the tensor data (aligned, inside the file, not overlapping).
#pragma once

#include "gguf_file.hpp"

#include <cstdint>
#include <span>

namespace weightio::gguf {

struct ParseLimits {
  uint32_t max_array_depth = 32; // ARRAY of ARRAY ... deeper than this is refused
};

// `file` is the whole file (usually a read-only mapping); the result copies
// what it keeps (names, metadata) and points into nothing. Throws FormatError
// whose message names the field at fault (e.g. "kv[3] 'general.alignment'"
// or "tensor[1] 'blk.0.attn_q.weight'") and the reason.
File parse(std::span<const uint8_t> file, const ParseLimits &limits = {});

} // namespace weightio::gguf
