// Size of an input, for deciding whether work is long enough for a progress
// bar: a file's size, or for a sharded checkpoint (a folder or an
// *.index.json) the sum of its shards. 0 when it can't be read: the load
// itself then reports why.
#pragma once

#include <weightio/io.hpp>

#include <cstdint>
#include <filesystem>
#include <system_error>

namespace wcli {

inline uint64_t file_size_or_zero(const std::filesystem::path &path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec) &&
      !path.filename().string().ends_with(".index.json")) {
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : static_cast<uint64_t>(size);
  }
  try {
    const auto layout = weightio::describe_checkpoint(path);
    if (!layout.sharded) {
      const auto size = std::filesystem::file_size(layout.entry, ec);
      return ec ? 0 : static_cast<uint64_t>(size);
    }
    uint64_t total = 0;
    for (const auto &s : layout.shards)
      total += s.file_bytes;
    return total;
  } catch (const weightio::Error &) {
    return 0;
  }
}

} // namespace wcli
