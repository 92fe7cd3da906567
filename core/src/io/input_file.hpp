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
  std::shared_ptr<const void> keep_alive; // owns the map or buffer (and fd)
  bool mapped = false;                    // a memory map (else a buffer)
  // read_into_memory of a file that maps, or any file on a network or FUSE
  // file system: the map is only for the reader to parse and decode from;
  // the host preads tensor ranges from `fd` into their own buffers and
  // hands out no view into the map.
  bool read_ranges = false;
  int fd = -1; // with read_ranges; kept open by keep_alive
  // The bytes were read or copied in whole before the reader ran (a file
  // system that can't map, or a private copy of in-memory input): a view
  // into them is a copy of the file's bytes (Placement::copied).
  bool copied = false;
};

struct InputOptions {
  bool read_into_memory = false;
  // Fault the whole map in ahead (MADV_POPULATE_READ, else MADV_WILLNEED).
  bool populate = false;
};

// Throws IoError naming the file: missing, unreadable, a symlink loop, or not
// a regular file (a folder, FIFO, socket or device: refused without blocking).
InputBytes open_input(const std::filesystem::path &path, const InputOptions &options);

} // namespace weightio::detail
