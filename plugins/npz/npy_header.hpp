// The .npy header (NEP 1, numpy/lib/format.py): writing it exactly as
// numpy.save does, and parsing it with a strict literal parser, never an
// evaluator, since the header comes from an untrusted file.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weightio::npz {

// The descr numpy 1.24 writes for a dtype ("<f4", "|b1", BF16 as "<V2" as
// MLX does); nullopt for dtypes npz cannot hold (FP8, F4, F6).
std::optional<std::string_view> npy_descr(int32_t dtype);

// Appends to `out` (one buffer for all of a save's headers) the magic,
// version, header length, dict, padding and newline numpy.save writes for a
// C-ordered little-endian array: version 1.0 unless the header needs 2.0,
// with numpy's room for the first axis to grow, padded so that the data
// starts at a multiple of 64 bytes.
void append_npy_header(std::string &out, std::string_view descr, const int64_t *shape,
                       uint32_t ndim);

// The fixed part before the dict: magic (6), version (2), length (2 or 4).
inline constexpr size_t kNpyPreambleMin = 10;
inline constexpr size_t kNpyPreambleMax = 12;

struct NpyPreamble {
  uint8_t major = 0;
  size_t preamble_size = 0; // 10 for version 1.0, 12 for 2.0 and 3.0
  uint64_t header_size = 0; // preamble plus dict: where the data starts
};

// Reads the preamble from the member's first bytes (at least
// kNpyPreambleMax, or the whole member if shorter). Throws
// sdk::Failure(WIO_ERR_INVALID_FILE) for a wrong magic or version.
NpyPreamble parse_npy_preamble(std::span<const uint8_t> head);

struct NpyLimits {
  uint32_t max_ndim = 0; // 0 = none
};

struct NpyHeader {
  int32_t dtype = 0; // wio_dtype
  bool big_endian = false;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  uint64_t data_nbytes = 0; // bytes of array data the header describes
};

// Parses the dict (the bytes after the preamble, up to the data). Throws
// sdk::Failure(WIO_ERR_INVALID_FILE) with the reason; the caller adds the
// member's name.
NpyHeader parse_npy_dict(std::span<const uint8_t> dict, uint8_t major, const NpyLimits &limits);

} // namespace weightio::npz
