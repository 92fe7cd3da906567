// What a folder names as a checkpoint, and the small facts about shard
// names that loading a set needs.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace weightio::detail {

struct FolderCheckpoint {
  std::filesystem::path path;
  std::vector<std::string> warnings; // files a load leaves unread, for the caller
};

// A folder's checkpoint: its one index (counting one an interrupted save is
// about to create), else its one weights file, else its one self-described
// shard set (its first shard). Files of a format that declares folder
// names count only when they match them, and only where no other format's
// checkpoint is (a warning names them otherwise). Throws IoError naming
// `dir` when it holds none, or several and no way to choose.
FolderCheckpoint resolve_folder(const std::filesystem::path &dir);

// Whether the format that reads `path` (or `format`) keeps its sets' layout
// in the shards' split keys, with no index. False when no format reads it
// (the load itself reports that).
bool self_described_format(const std::filesystem::path &path, const std::string &format);

// N of a shard name `base-0000i-of-0000N.ext` (0 if it has none).
size_t shard_count(const std::string &file);

// 'a', 'b', 'c': names for a message.
std::string quoted_list(const std::vector<std::string> &names);

} // namespace weightio::detail
