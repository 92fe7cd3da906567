// A benchmark workload (made by workload.py) held in ordinary process memory,
// as a host's parameters would be.
#pragma once

#include <weightio/weightio.hpp>

#include <filesystem>
#include <memory>
#include <string>

struct Workload {
  std::shared_ptr<void> bytes; // one 64-byte-aligned buffer
  uint64_t size = 0;           // of the buffer
  uint64_t params_bytes = 0;   // sum of tensor sizes
  weightio::FlatParams params; // views into `bytes`
};

// Reads DIR/NAME.json and DIR/NAME.bin. Throws std::runtime_error.
Workload load_workload(const std::filesystem::path &dir, const std::string &name);
