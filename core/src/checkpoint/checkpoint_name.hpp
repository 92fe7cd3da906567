// The names of one checkpoint "stem" in a folder: `model.safetensors`, its
// shards `model-00001-of-00004.safetensors`, its index
// `model.safetensors.index.json`, and weightio's own hidden files for it
// (the save lock, the commit record, staged files).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace weightio::detail {

struct CheckpointName {
  std::filesystem::path dir; // the folder ("." when the path had none)
  std::string base;          // "model"
  std::string ext;           // ".safetensors" (may be empty)

  // From the single-file path `dir/model.safetensors`.
  static CheckpointName from_weights_path(const std::filesystem::path &path);
  // From `dir/model.safetensors.index.json`; nullopt for other names.
  static std::optional<CheckpointName> from_index_path(const std::filesystem::path &path);
  // From `dir/model-00002-of-00004.safetensors`; nullopt for other names.
  static std::optional<CheckpointName> from_shard_path(const std::filesystem::path &path);

  std::string single() const { return base + ext; }
  // huggingface_hub's "-{i:05d}-of-{n:05d}" suffix; i counts from 1.
  std::string shard(size_t i, size_t n) const;
  std::string index() const { return single() + ".index.json"; }
  std::string lock() const { return "." + single() + ".weightio-lock"; }
  std::string record() const { return "." + single() + ".weightio-commit"; }
  // Every staged file of a sharded save starts with this (and AtomicFile's
  // temporaries for them with "." + this).
  std::string staging_prefix() const { return "." + single() + ".weightio-set-"; }

  bool is_shard_name(std::string_view name) const;
  // The single file, the index, or a shard of this stem.
  bool is_member_name(std::string_view name) const;
  bool is_staging_name(std::string_view name) const;
};

// A file name that stays in its folder: not empty, no '/', no NUL, not "."
// or "..". Names in an index must be plain.
bool is_plain_file_name(std::string_view name);

} // namespace weightio::detail
