// Size of an input file, for deciding whether work is long enough for a
// progress bar. 0 when it can't be read: the load itself then reports why.
#pragma once

#include <cstdint>
#include <filesystem>
#include <system_error>

namespace wcli {

inline uint64_t file_size_or_zero(const std::filesystem::path &path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

} // namespace wcli
