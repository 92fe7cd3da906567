// Strict UTF-8 validation, as Rust's std::str::from_utf8 (which the official
// safetensors reader applies to the whole header) and Python's strict decoder
// (which zipfile applies to names flagged UTF-8): no overlong forms, no
// surrogates, nothing above U+10FFFF. Shared by the bundled plugins; not
// installed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace weightio::common {

// The offset of the first byte that does not start a valid sequence, or
// nullopt when all of `bytes` is valid UTF-8.
std::optional<size_t> first_invalid_utf8(std::string_view bytes) noexcept;

inline bool is_utf8(std::string_view bytes) noexcept {
  return !first_invalid_utf8(bytes).has_value();
}

} // namespace weightio::common
