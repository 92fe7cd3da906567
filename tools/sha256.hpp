// SHA-256 of tensor bytes for `inspect --hash` (OpenSSL's libcrypto).
#pragma once

#include <cstddef>
#include <string>

namespace wcli {

// Lowercase hex digest of `size` bytes at `data`.
std::string sha256_hex(const void *data, size_t size);

} // namespace wcli
