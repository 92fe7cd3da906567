// The safetensors reference files in tests/data/safetensors and what the
// official reader says about each (MANIFEST.tsv, *.expected.jsonl).
#pragma once

#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sttest {

struct ExpectedTensor {
  std::string name;
  std::string dtype;
  weightio::Shape shape;
  uint64_t begin = 0; // data_offsets
  uint64_t end = 0;
  uint64_t nbytes = 0;
  std::string sha256;
};

struct Expected {
  bool valid = false;
  std::string error_kind; // invalid files: the official SafeTensorError variant
  std::string error;      // ... and its text
  uint64_t file_len = 0;
  uint64_t header_len = 0;
  uint64_t data_start = 0;
  std::optional<weightio::Metadata> metadata; // nullopt: none in the file
  std::vector<ExpectedTensor> tensors;        // data order
};

// File names listed in MANIFEST.tsv whose name starts with `prefix` ("w",
// "h", "m"), sorted. Empty when the manifest cannot be read (a test checks it).
std::vector<std::string> reference_files(const std::string &prefix);

// tests/data/safetensors/<file>
wtest::fs::path reference_path(const std::string &file);

// Parses <file minus .safetensors>.expected.jsonl.
Expected expected_for(const std::string &file);

// The phrase weightio's message starts with for each official error_kind
// (docs/safetensors.md, "Validation").
std::string phrase_for_error_kind(const std::string &error_kind);

} // namespace sttest
