// The two jobs parse_header (header_parse.cpp) hands out: reading the JSON
// into the tensor table (header_json.cpp) and checking the table's layout
// against the official reader's rules (header_layout.cpp).
#pragma once

#include "header_parse.hpp"

#include <cstdint>
#include <string_view>

namespace weightio::safetensors {

// Fills out.tensors (in header order), names, extents and metadata from the
// header's JSON text, which is valid UTF-8 without NUL or a byte order mark.
// Throws sdk::Failure with a HeaderError::bad_json message on anything the
// official reader refuses, and on duplicate keys.
void read_header_json(std::string_view text, const ParseLimits &limits, ParsedHeader &out);

// The official reader's Metadata::validate, over h.tensors sorted in data
// order: each tensor starts where the previous one ended, and its byte span
// is exactly what its shape and dtype need. Returns the end of the last
// tensor; throws sdk::Failure with a HeaderError message.
uint64_t validate_layout(const ParsedHeader &h);

} // namespace weightio::safetensors
