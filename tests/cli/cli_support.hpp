// Helpers for the tests of the weightio command-line tool: running the built
// binary and writing small weight files to run it on.
#pragma once

#include "test_support.hpp"

#include <gtest/gtest.h>

#include <weightio/weightio.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wcli_test {

namespace fs = std::filesystem;

// Runs the built `weightio` with `args` (no shell).
wtest::CommandResult run_cli(const std::vector<std::string> &args,
                             const std::vector<std::string> &env = {});

// Tensors that own their bytes, and views of them in insertion order.
struct Model {
  std::vector<weightio::Tensor> storage;
  weightio::FlatParams params;
  // Adds a tensor whose bytes come from a seeded generator (floats within
  // [-1, 1), integers of every width, bools 0/1).
  weightio::Tensor &add(const std::string &name, weightio::DType dtype, weightio::Shape shape,
                        uint64_t seed);
  // The tensor named `name` (storage and params share one order).
  weightio::Tensor &at(const std::string &name);
  const weightio::Tensor &at(const std::string &name) const;
};

// A few tensors of several dtypes, nested MLX-style (layers.N....). Only
// dtypes both npz and safetensors hold, so it converts either way.
Model mixed_model(uint64_t seed = 1);

// Writes `model` to `path` (format by extension).
void save(const fs::path &path, const Model &model, const weightio::Metadata &metadata = {});

// A copy of the tensors of `w`, e.g. to change one and save it again.
Model copy_of(const weightio::Weights &w);

// Both hold the same names in any order, each with the same dtype, shape and
// bytes; otherwise says what differs.
::testing::AssertionResult same_tensors(const weightio::Weights &a, const weightio::Weights &b);

// The files the documented examples (docs/CLI.md, README.md) run on:
// model.safetensors (with metadata), model.npz (same tensors), model-v2.safetensors
// (one value changed by 0.001) and corrupt.npz (a flipped data byte).
void write_example_files(const fs::path &dir);

} // namespace wcli_test
