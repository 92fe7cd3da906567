// Read-only input bytes for readers: a memory map of a file (or the file read
// into an aligned buffer), kept alive by a shared_ptr.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

namespace weightio::detail {

struct InputBytes {
  const uint8_t *data = nullptr;
  uint64_t size = 0;
  std::shared_ptr<const void> keep_alive; // owns the map or buffer
  bool mapped = false;                    // a memory map (else a buffer)
};

// Throws IoError naming the file: missing, unreadable, a symlink loop, or not
// a regular file (a folder, FIFO, socket or device: refused without blocking).
InputBytes open_input(const std::filesystem::path &path, bool read_into_memory);

} // namespace weightio::detail
