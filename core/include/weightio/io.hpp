// save_weights / load_weights: the host-facing entry points.
#pragma once

#include <weightio/params.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace weightio {

// Called with bytes done so far and the total (0 when unknown). Return false
// to cancel: the operation then throws Error(ErrorCode::Cancelled) and, for a
// save, leaves the old file untouched.
using ProgressFn = std::function<bool(uint64_t done, uint64_t total)>;

struct SaveOptions {
  // Format name ("npz", "safetensors"); empty = chosen by the extension.
  std::string format;
  // Typed metadata, in order. A value of a type the format can't hold is
  // refused (UnsupportedError naming the key) before anything is written;
  // any metadata is refused by formats that hold none.
  Metadata metadata;
  // 0 = stored; 1..9 = compression level; -1 = the format's default level.
  // Non-zero is refused by formats that do not compress.
  int compression = 0;
  // fsync the file before the rename and the folder after it, so the save
  // survives a power cut. Off trades that guarantee for speed.
  bool durable = true;
  // Container formats: write 64-bit (ZIP64) records even when not needed.
  // Kept for 0.1 callers: the same as format_options["zip64"] = "true".
  bool force_zip64 = false;
  // The format's own save options (see FormatInfo::options, `weightio
  // plugins`): name -> value as text. An unknown name or an invalid value is
  // UnsupportedError listing the valid ones, before anything is written.
  std::map<std::string, std::string> format_options;
  ProgressFn progress;
};

// What a save reports besides success.
struct SaveResult {
  // Non-fatal notes from the format's writer, each once.
  std::vector<std::string> warnings;
};

struct LoadLimits {
  uint64_t max_header_bytes = 100'000'000; // a format's header / directory
  uint64_t max_tensors = 10'000'000;
  uint32_t max_ndim = 64;
  uint64_t max_name_bytes = 1 << 20;
  // Memory a reader may allocate for copies and decompression, in total.
  // 0 = no limit beyond the machine's.
  uint64_t max_alloc_bytes = 0;
};

struct LoadOptions {
  // Format name; empty = by extension, else by probing the first bytes.
  std::string format;
  // Load only these names (empty = all).
  std::set<std::string> only;
  // Read the file into memory instead of mapping it. A mapped file that
  // another process truncates while tensors from it are in use raises
  // SIGBUS; reading avoids that, and works on file systems that can't map.
  bool read_into_memory = false;
  // Check everything the reader can (every CRC), even for tensors skipped by
  // `only`. Readers always check what they return.
  bool verify = false;
  LoadLimits limits;
  // The format's own load options (e.g. GGUF's "dequantize"), as for saving.
  std::map<std::string, std::string> format_options;
  // Threads for decoding that readers defer to the host (0 = the number of
  // cores, at most 8; 1 = none besides the caller's).
  unsigned threads = 0;
  ProgressFn progress;
};

// Writes `params` to `path` atomically: a temporary file in the same folder
// (named .<name>.weightio-tmp-*), then a rename over `path`. On any failure
// (plugin, disk, cancel, exception) the previous file is untouched and the
// temporary file removed. A symlink at `path` stays; the file it points to is
// replaced (in a sticky world-writable folder only a link of the saving user
// or of the folder's owner is followed, as the kernel's protected_symlinks
// rule has it; otherwise IoError). The new file gets the old file's
// permissions without setuid/setgid/sticky (and, saved by root, its owner and
// group), or the umask's.
// Throws PluginError (unknown format), UnsupportedError (dtype or option the
// format can't hold), IoError, Error.
SaveResult save_weights(const std::filesystem::path &path, const FlatParams &params,
                        const SaveOptions &options = {});

// Same writers, into memory. `options.format` is required.
std::vector<uint8_t> save_weights_to_memory(const FlatParams &params, const SaveOptions &options,
                                            SaveResult *result = nullptr);

// Maps (or reads) `path` and returns its tensors. Aligned tensors are views
// into the map (zero copy); others are aligned copies. Throws FormatError
// (invalid file), PluginError (no reader), IoError, Error.
Weights load_weights(const std::filesystem::path &path, const LoadOptions &options = {});

// Loads from bytes. The bytes are copied unless `keep_alive` owns them, in
// which case tensors may point into them. `options.format` or probing picks
// the reader.
Weights load_weights_from_memory(std::span<const uint8_t> bytes, const LoadOptions &options = {},
                                 std::shared_ptr<const void> keep_alive = {});

// A host-owned destination for load_weights_into.
struct MutableTensorView {
  DType dtype;
  Shape shape;
  void *data;
  // For a block-quantized destination (dtype DType::Block).
  const BlockType *block = nullptr;
};
using MutableParams = OrderedMap<MutableTensorView>;

// Loads `path` into host buffers, as MLX's Module.load_weights. With strict,
// missing names, extra names and dtype/shape mismatches throw MismatchError
// listing every one; without, matching tensors are copied and the rest
// ignored (mismatches are still never copied). Returns the names copied.
std::vector<std::string> load_weights_into(const std::filesystem::path &path,
                                           MutableParams &destination, bool strict = true,
                                           const LoadOptions &options = {});

} // namespace weightio
