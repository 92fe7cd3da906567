// What the kit writes: sample tensors and metadata derived from what a
// format declares (dtypes, block types, limits, metadata kinds, options).
#pragma once

#include <weightio/weightio.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace wcli::conformance {

// One save: tensors (owning their bytes), metadata, options.
struct Case {
  std::string label; // "dtype F16", "option zip64=true", "name of 63 bytes"
  std::vector<std::pair<std::string, std::shared_ptr<std::vector<uint8_t>>>> bytes;
  weightio::FlatParams params;
  weightio::Metadata metadata;
  std::map<std::string, std::string> format_options;
  int compression = 0;

  // Appends a tensor of that type and shape filled from `seed`.
  void add(const std::string &name, weightio::DType dtype, const weightio::Shape &shape,
           uint64_t seed);
  void add_block(const std::string &name, const weightio::BlockType *block,
                 const weightio::Shape &shape, uint64_t seed);
  weightio::SaveOptions save_options(const std::string &format) const;
};

// A small case that every writer of `f` holds (one or two tensors of its
// first dtypes, metadata when it holds some): for probe, robustness and
// concurrency.
Case basic_case(const weightio::FormatInfo &f, uint64_t seed);

// One tensor of 2^18 elements (1 MiB of F32): big enough that a writer
// reports progress while writing it.
Case large_case(const weightio::FormatInfo &f, uint64_t seed);

// One tensor with an empty name, which a format may refuse.
Case empty_name_case(const weightio::FormatInfo &f, uint64_t seed);

// Everything the round trip covers: every dtype and block type, the shapes,
// names, metadata kinds and option values the format declares. Each case
// respects the format's limits.
std::vector<Case> roundtrip_cases(const weightio::FormatInfo &f, uint64_t seed);

// Empty when `got` holds what `c` saved (names, types, shapes, bytes,
// metadata; with format options, extra metadata keys are allowed), in any
// order; else what differs first.
std::string compare_loaded(const Case &c, const weightio::Weights &got);

// "a, b, c": the tensor names, and the metadata keys, in order.
std::string tensor_order(const weightio::FlatParams &p);
std::string tensor_order(const weightio::Weights &w);
std::string metadata_order(const weightio::Metadata &m);

// The same tensors and metadata inserted in the opposite order.
Case reversed(const Case &c);

// Deterministic filler.
void fill_bytes(uint8_t *p, size_t n, uint64_t seed);

} // namespace wcli::conformance
