// The GGUF reference files in tests/data/gguf (written by gguf-py, see its
// README.md) and helpers to compare what weightio's GGUF internals read with
// what the files' *.expected.json say.
#pragma once

#include "test_support.hpp"

#include "gguf_file.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ggtest {

// The reference .gguf files whose name starts with `prefix` ("g" valid, "b"
// malformed), sorted, from MANIFEST.tsv.
std::vector<std::string> reference_files(const std::string &prefix);

wtest::fs::path data_file(const std::string &name);
nlohmann::json expected_for(const std::string &gguf_name);

// A metadata entry in the expected files' shape: {"key", "type",
// "item_type" (arrays), "value"}; a nested array's value is a list of
// {"item_type", "value"}.
nlohmann::json to_expected_json(const weightio::gguf::KeyValue &kv);

// Hex SHA-256 of float32 values as little-endian bytes.
std::string sha256_of_floats(const std::vector<float> &values);

} // namespace ggtest
