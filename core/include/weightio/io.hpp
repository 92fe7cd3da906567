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

// The copy, move and default constructors GCC defines for SaveOptions touch
// the deprecated force_zip64 and would warn wherever a host copies the
// options; the warning is silenced for this definition only, so a host that
// names force_zip64 itself is still warned.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
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
  // Deprecated since 0.3: container formats' 64-bit (ZIP64) records even
  // when not needed. Kept working for 0.1 callers; use the format's own
  // option, format_options["zip64"] = "true", which it equals.
  [[deprecated("use SaveOptions::format_options[\"zip64\"] = \"true\"")]] bool force_zip64 = false;
  // The format's own save options (see FormatInfo::options, `weightio
  // plugins`): name -> value as text. An unknown name or an invalid value is
  // UnsupportedError listing the valid ones, before anything is written.
  std::map<std::string, std::string> format_options;
  // Over 0: save a sharded checkpoint as Hugging Face transformers does.
  // save_weights("out/model.safetensors") writes out/model-00001-of-0000N.
  // safetensors ... and out/model.safetensors.index.json, filling shards in
  // insertion order by huggingface_hub's rule (a tensor that would take the
  // open shard over the limit starts a new one; a tensor over the limit gets
  // a shard of its own). When everything fits in one shard, out/model.
  // safetensors alone is written. `metadata` goes into every shard. The set
  // replaces the previous checkpoint of that stem (sharded or not) as a
  // whole: see docs/RELIABILITY.md, "Sharded checkpoints". 0 = one file.
  uint64_t max_shard_bytes = 0;
  ProgressFn progress;
};
#pragma GCC diagnostic pop

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
  // Memory a reader may allocate for copies and decompression, and the
  // load for the tensors a reader's deferred decode makes (GGUF
  // dequantization, say), in total. 0 = no limit beyond the machine's.
  uint64_t max_alloc_bytes = 0;
};

struct LoadOptions {
  // Format name; empty = by extension, else by probing the first bytes.
  std::string format;
  // Load only these names (empty = all).
  std::set<std::string> only;
  // Read the tensors into memory instead of mapping them. A mapped file that
  // another process truncates while tensors from it are in use raises
  // SIGBUS; reading avoids that, and works on file systems that can't map.
  // Each tensor's range is read (pread, in parallel) straight into its own
  // buffer: peak memory is the tensors plus a few MiB. Files on network and
  // FUSE file systems (NFS, SMB, 9P, FUSE, Ceph, Lustre, GPFS) are always
  // loaded this way: their page faults are round trips.
  bool read_into_memory = false;
  // Check everything the reader can (every CRC), even for tensors skipped by
  // `only`. Readers always check what they return.
  bool verify = false;
  // Names, types and shapes only: the tensors come back without their bytes
  // (TensorView::without_data: data() is null), and readers that know it
  // decode, inflate and allocate nothing (others do their usual work, which
  // the host drops). With `verify`, every check still runs, in constant
  // memory where the format allows (npz streams each member's CRC).
  bool describe_only = false;
  LoadLimits limits;
  // The format's own load options, as for saving (`weightio plugins` lists
  // them).
  std::map<std::string, std::string> format_options;
  // Added in 0.3: load block-quantized tensors (GGUF's Q4_0, Q8_0, ...) as
  // this dtype instead, dequantized by the format's reader. Only dtypes in
  // the format's FormatInfo::dequantize_dtypes: for any other, or a format
  // that dequantizes nothing, the load fails before reading with
  // UnsupportedError (ErrorCode::UnsupportedOption) naming the format and
  // what it can dequantize to. Tensors that are not block-quantized load as
  // they are.
  std::optional<DType> dequantize;
  // Threads for the load's work after parsing (0 = the number of cores, at
  // most 8; 1 = none besides the caller's): copies of tensors that can't be
  // views, ranged reads (read_into_memory), checksums, inflation, byte
  // swapping and dequantization that readers hand to the host, across
  // tensors and in parts of large ones. The tensors, and the error of a
  // failed load (the first problem in file order), are the same whatever
  // the count.
  unsigned threads = 0;
  // Map loads: fault the whole file in ahead (MADV_POPULATE_READ, or
  // MADV_WILLNEED on kernels before 5.14), for hosts that will read every
  // byte. A hint: where the kernel refuses, the load goes on without it.
  bool populate = false;
  // Called once for each tensor the load returns, as soon as its bytes are
  // ready: a view into the map when the reader describes it, a copy or a
  // decoded tensor when its last part is written. An inference server can
  // start uploading a tensor while the rest still loads. Calls are never
  // concurrent (a mutex serialises them) but come from the load's threads,
  // in no fixed order; they all happen before load_weights returns. The
  // Tensor shares ownership as any copy does. When the load fails, some
  // tensors may already have been passed; their bytes are as loaded. An
  // exception from the callback stops further calls and fails the load
  // with that exception once the load's threads are done.
  std::function<void(const std::string &name, const Tensor &tensor)> on_ready;
  // Bytes of the file read, from the calling thread. done == total comes
  // last, once every tensor is ready: checks, copies and decodes deferred
  // to the load's threads included.
  ProgressFn progress;
  // A path naming one shard of a set (model-00002-of-00004.safetensors)
  // loads that shard alone, like any file; with `whole_set`, it loads the
  // whole checkpoint through model.safetensors.index.json beside it (an
  // IoError if there is none).
  bool whole_set = false;
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
// A sharded save (max_shard_bytes, or any save to a stem that has an index
// beside it) instead replaces the checkpoint's names, symlinks included (a
// link into a shared cache is never written through), and its new files get
// the umask's permissions.
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
//
// `path` may also name a sharded checkpoint: its `*.index.json`, or a folder
// (its one `*.index.json`; without one, its one weights file; otherwise an
// IoError listing the candidates). The shards are mapped concurrently and
// come back as one Weights, ordered by shard file name, then as in each
// shard. The index is checked: every weight_map entry in its shard, no
// tensor in two shards, no shard tensor missing from the map, every shard
// present, shard names plain file names in the index's folder (symlinked
// shards are followed); a FormatError (IoError for a missing shard) lists
// every problem found. A `metadata.total_size` that disagrees with the
// shards is a warning (Weights::warnings, and the log). `options.only` opens
// only the shards holding those names (and checks only those names).
// Weights::metadata is the shards' metadata (their union).
Weights load_weights(const std::filesystem::path &path, const LoadOptions &options = {});

// One shard of a checkpoint as describe_checkpoint sees it.
struct ShardEntry {
  std::string file;                 // a plain name in the checkpoint's folder
  std::vector<std::string> tensors; // as the index maps them (sorted by name)
  uint64_t file_bytes = 0;          // the file's size on disk (0 if missing)
};

// What load_weights(path) would read, without reading any shard.
struct CheckpointLayout {
  // The index, or the single weights file, that `path` resolves to.
  std::filesystem::path entry;
  bool sharded = false;
  // Sharded: one entry per shard file, by file name. Else empty.
  std::vector<ShardEntry> shards;
  // Every key of the index's "metadata" (total_size, MLX-LM's
  // total_parameters, anything else), strings as they are and other values
  // as JSON text.
  std::vector<std::pair<std::string, std::string>> index_metadata;
};

// Resolves `path` as load_weights does (folder, index, whole_set, an
// interrupted sharded save) and reads the index. Throws as load_weights.
CheckpointLayout describe_checkpoint(const std::filesystem::path &path,
                                     const LoadOptions &options = {});

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
// listing every one, before any buffer is written; without, matching
// tensors are copied and the rest ignored (mismatches are still never
// copied). Returns the names copied. The file's header is read first; then
// the bytes go straight into the buffers (copied, read, inflated or
// decoded in parallel, as LoadOptions::threads says), with no intermediate
// tensor. When the load fails after that (a corrupt member, an I/O error),
// buffers may hold part of the file's bytes. on_ready, if set, receives
// views of the host's buffers.
std::vector<std::string> load_weights_into(const std::filesystem::path &path,
                                           MutableParams &destination, bool strict = true,
                                           const LoadOptions &options = {});

} // namespace weightio
