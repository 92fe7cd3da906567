// Sizes on the command line ("5GB", "500MiB", "1.5 GB", "4096"), read as
// huggingface_hub's parse_size_to_int reads them, plus binary units.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace wcli {

// Bytes, or a decimal number ("1.5", "2e3") followed by KB/MB/GB/TB (powers of
// 1000) or KiB/MiB/GiB/TiB (powers of 1024), any case, spaces around
// ignored; the product is truncated to whole bytes. nullopt when it is none
// of these, is 0 or is over 2^64 - 1.
std::optional<uint64_t> parse_size(const std::string &text);

} // namespace wcli
