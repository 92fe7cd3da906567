// Where a checkpoint is, as a public call names it. Every save and load
// starts by planning from a Location: today a local path; a remote location
// (a URL whose scheme a source plugin serves) is to be recognised here, so
// the planning and execution below stay one way through for both
// (docs/DESIGN-NOTES.md, "Checkpoint plans").
#pragma once

#include <filesystem>
#include <string>

namespace weightio::detail {

struct Location {
  std::filesystem::path path;

  static Location of(const std::filesystem::path &p) { return Location{p}; }
  // The location as messages name it.
  std::string shown() const { return path.string(); }
};

} // namespace weightio::detail
