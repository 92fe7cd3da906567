// Lays out a GGUF version 3 file (little-endian) and writes it through a
// sequential byte sink, exactly as gguf-py's GGUFWriter does: header, the
// metadata in the order given, the tensor infos, zero padding up to the
// alignment, then each tensor's bytes at an aligned offset (relative to the
// data section) followed by zero padding up to the next multiple of the
// alignment, the last tensor's included. A file read with parse() and
// written back with its metadata, tensors and alignment reproduces a
// GGUFWriter file byte for byte.
#pragma once

#include "gguf_file.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace weightio::gguf {

// Receives the file's bytes in order; may throw to abort the write.
using ByteSink = std::function<void(const void *data, size_t size)>;

struct TensorToWrite {
  std::string name;
  std::vector<uint64_t> shape; // row-major, outermost first (GGUF stores it reversed)
  const ggml::TypeInfo *type = nullptr;
  const void *data = nullptr; // nbytes bytes, as the file stores them (little-endian)
  uint64_t nbytes = 0;
};

// Thrown before any byte reaches the sink when the input cannot be written
// as a GGUF file; the message names the key or tensor and the reason.
class WriteError : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

struct Layout {
  uint64_t data_offset = 0;        // where the data section starts
  std::vector<uint64_t> offsets;   // each tensor's offset in the data section
  uint64_t file_size = 0;          // the total bytes write() produces
  bool adds_alignment_key = false; // general.alignment is appended to the metadata
};

// Checks everything write() would refuse and computes where everything goes.
// `alignment` must be a power of two. If `metadata` holds general.alignment
// it must be a UINT32 equal to `alignment`; if it does not and `alignment`
// is not the default 32, general.alignment (UINT32) is appended after the
// given metadata, so that readers find the alignment the data uses.
// Limits enforced: unique ASCII keys of at most 65535 bytes, well-formed
// values (arrays nested at most 32 deep), unique tensor names of at most 63
// bytes, 1 to 4 dimensions, no 0 outside the innermost dimension, an
// innermost dimension that is a multiple of the type's block size, and
// `nbytes` equal to the size the shape and type give. Throws WriteError.
Layout plan(const Metadata &metadata, const std::vector<TensorToWrite> &tensors,
            uint32_t alignment);

// Validates as plan() does (nothing is written if that fails), then writes
// the whole file to `sink`. Returns the number of bytes written.
uint64_t write(const Metadata &metadata, const std::vector<TensorToWrite> &tensors,
               uint32_t alignment, const ByteSink &sink);

} // namespace weightio::gguf
