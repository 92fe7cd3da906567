#include "checkpoint/checkpoint_name.hpp"

#include <cstdio>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kIndexSuffix = ".index.json";

fs::path folder_of(const fs::path &path) {
  fs::path dir = path.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

bool all_digits(std::string_view s) {
  if (s.size() < 5)
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

// "-00002-of-00004" at the end of `stem`: the length of that suffix, or 0.
size_t shard_suffix_length(std::string_view stem) {
  const size_t of = stem.rfind("-of-");
  if (of == std::string_view::npos || of == 0 || !all_digits(stem.substr(of + 4)))
    return 0;
  const size_t dash = stem.rfind('-', of - 1);
  if (dash == std::string_view::npos || !all_digits(stem.substr(dash + 1, of - dash - 1)))
    return 0;
  return stem.size() - dash;
}

} // namespace

CheckpointName CheckpointName::from_weights_path(const fs::path &path) {
  const fs::path file = path.filename();
  return {folder_of(path), file.stem().string(), file.extension().string()};
}

std::optional<CheckpointName> CheckpointName::from_index_path(const fs::path &path) {
  const std::string file = path.filename().string();
  if (file.size() <= kIndexSuffix.size() ||
      file.compare(file.size() - kIndexSuffix.size(), kIndexSuffix.size(), kIndexSuffix) != 0)
    return std::nullopt;
  return from_weights_path(folder_of(path) / file.substr(0, file.size() - kIndexSuffix.size()));
}

std::optional<CheckpointName> CheckpointName::from_shard_path(const fs::path &path) {
  CheckpointName n = from_weights_path(path);
  const size_t suffix = shard_suffix_length(n.base);
  if (suffix == 0 || suffix == n.base.size())
    return std::nullopt;
  n.base.resize(n.base.size() - suffix);
  return n;
}

std::string CheckpointName::shard(size_t i, size_t n) const {
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, "-%05zu-of-%05zu", i, n);
  return base + suffix + ext;
}

bool CheckpointName::is_shard_name(std::string_view name) const {
  if (name.size() <= base.size() + ext.size() || name.substr(0, base.size()) != base ||
      name.substr(name.size() - ext.size()) != ext)
    return false;
  const std::string_view middle = name.substr(base.size(), name.size() - base.size() - ext.size());
  return shard_suffix_length(middle) == middle.size();
}

bool CheckpointName::is_member_name(std::string_view name) const {
  return name == single() || name == index() || is_shard_name(name);
}

bool CheckpointName::is_staging_name(std::string_view name) const {
  const std::string prefix = staging_prefix();
  return name.substr(0, prefix.size()) == prefix ||
         (name.size() > prefix.size() && name[0] == '.' && name.substr(1, prefix.size()) == prefix);
}

bool is_plain_file_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

} // namespace weightio::detail
