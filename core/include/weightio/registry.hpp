// The plugin registry: which format plugins are loaded, from where, and which
// failed. Discovery runs once, on first use, in this order: the plugin folder
// next to libweightio (<libdir>/weightio/plugins), then WEIGHTIO_PLUGIN_PATH
// (colon-separated absolute folders or files), then what the host adds here.
// The current directory is never searched.
#pragma once

#include <weightio/block_type.hpp>
#include <weightio/dtype.hpp>
#include <weightio/metadata.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace weightio {

// A format's own option for saving and/or loading, declared by its plugin
// (SaveOptions::format_options, LoadOptions::format_options, the CLI's
// --option / --input-option).
struct FormatOption {
  enum class Type { Bool, Int, String };
  std::string name;
  std::string description;
  Type type = Type::String;
  bool for_save = false;
  bool for_load = false;
  std::string default_value;        // canonical text
  std::vector<std::string> choices; // String: the allowed values (empty: any)
  int64_t min = 0, max = 0;         // Int: inclusive range
};

// "bool", "int", "string".
std::string_view option_type_name(FormatOption::Type t) noexcept;

// What a format's writer can hold (0 = no limit). Checked by the core before
// a save writes a byte.
struct WriteLimits {
  uint32_t min_ndim = 0;
  uint32_t max_ndim = 0;
  bool zero_dims = true;       // may a dimension be 0
  bool zero_outer_dims = true; // may a dimension other than the innermost be 0
  uint64_t max_name_bytes = 0;
  uint64_t max_tensors = 0;
  uint64_t max_metadata_value_bytes = 0;
};

struct FormatInfo {
  std::string name;
  std::string description;
  std::vector<std::string> extensions; // lowercase, without the dot
  bool can_read = false;
  bool can_write = false;
  bool metadata = false;
  bool compression = false;
  std::vector<DType> write_dtypes;
  // Added in 0.2 (plugin ABI 2):
  // The value types its metadata holds (String alone for ABI-1 formats with
  // metadata; Array means arrays of the listed types).
  std::vector<ValueType> metadata_types;
  std::vector<const BlockType *> block_types; // the block types it holds
  std::vector<FormatOption> options;
  WriteLimits limits;
  uint32_t probe_bytes = 4096; // leading bytes its probe is given
  bool decodes = false;        // its reader may defer decoding to host threads
  // Its sharded checkpoints describe themselves through split.* metadata
  // keys in the shards (GGUF's gguf-split layout), with no index file.
  bool split_keys = false;
  // Added in 0.3 (plugin ABI 3):
  // How deep its metadata's arrays may nest: 1 = flat arrays only, 2 =
  // arrays of flat arrays, ...; 0 = any depth (up to WIO_MAX_VALUE_DEPTH).
  uint32_t max_array_depth = 0;
  // The dtypes its reader can turn its block types into
  // (LoadOptions::dequantize); empty = it dequantizes nothing.
  std::vector<DType> dequantize_dtypes;
  // Extensions (among `extensions`) other formats' files carry too: a file
  // with one is read by whichever format's probe says YES, by this one
  // only when none does; saving to one writes this format.
  std::vector<std::string> shared_extensions;
  // File-name patterns a folder load counts as its weights files (empty =
  // every file with one of its extensions); a format with such patterns
  // yields to the others in a folder.
  std::vector<std::string> folder_names;
};

struct PluginInfo {
  std::string name;
  std::string version;
  std::filesystem::path path;
  uint32_t abi_version = 0;
  std::vector<FormatInfo> formats;
  // Found in the plugin folder installed with libweightio (messages name
  // such plugins without their path).
  bool bundled = false;
};

struct PluginFailure {
  std::filesystem::path path;
  std::string error;
};

// Whether a format can save this metadata value (its type, and for arrays
// every item type, among those it declares, nested no deeper than its
// max_array_depth).
bool format_holds(const FormatInfo &format, const Value &value);

// Loaded plugins in discovery order.
std::vector<PluginInfo> loaded_plugins();
// Plugin files that were found but could not be used, with the reason.
std::vector<PluginFailure> failed_plugins();

// Loads a plugin file, or every weightio_*.so in a folder, now. Thread-safe.
// A file already loaded (same canonical path) is not loaded again. Failures
// are recorded (failed_plugins) and logged, not thrown, unless `throw_on_error`.
void add_plugin_path(const std::filesystem::path &file_or_folder, bool throw_on_error = false);

// Picks the plugin (by file path or plugin name) that serves an extension
// ("npz" or ".npz") or a format name when several plugins claim it; also
// when several recognise the first bytes of a file whose extension is
// unknown (the preference for any of a format's extensions or its name
// counts). Throws PluginError when no loaded plugin matches.
void prefer_plugin(const std::string &extension_or_format, const std::string &plugin_name_or_path);

// The format that would serve a path's extension or a format name; throws
// PluginError (unknown, or claimed by two plugins) listing the known ones.
FormatInfo format_for_extension(const std::string &extension);
FormatInfo format_by_name(const std::string &name);
// Plugin file path serving a format name.
std::filesystem::path plugin_path_for_format(const std::string &name);

} // namespace weightio
