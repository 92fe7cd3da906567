// Atomic replacement of a file: write a locked temporary file beside the
// target, then rename it over the target. Until commit() succeeds the target
// is untouched; destroying an uncommitted AtomicFile removes the temporary.
// While it exists, remove_save_temporaries_from_signal_handler() can too.
#pragma once

#include <filesystem>
#include <string>

namespace weightio::detail {

class AtomicFile {
public:
  // Resolves a symlink at `target` to the file it points to (the link stays;
  // in a sticky world-writable folder only links of the saving user or of the
  // folder's owner are followed), removes stale temporaries of earlier
  // crashed saves to that file (only regular files of the saving user that no
  // live save holds locked; anything else under such a name is left, with a
  // warning), creates a new temporary with O_EXCL and locks it. A replaced
  // file's permission bits go over, but never setuid, setgid or sticky; under
  // root its owner and group too. Throws IoError naming the target when the
  // folder is missing or not writable, the target is not a regular file, or a
  // link may not be followed.
  explicit AtomicFile(const std::filesystem::path &target);
  ~AtomicFile();
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;

  int fd() const noexcept { return fd_; }

  // fsync (when durable), rename over the target, fsync the folder (when
  // durable). Throws IoError; the temporary is then removed by the destructor.
  void commit(bool durable);

  // The prefix every temporary for `resolved_target` starts with.
  static std::string temp_prefix(const std::filesystem::path &resolved_target);

private:
  void remove_stale_temporaries() const;
  std::filesystem::path target_;   // as given
  std::filesystem::path resolved_; // symlinks followed
  std::filesystem::path temp_;
  int fd_ = -1;
  int live_ = -1; // the record for signal handlers (live_temporaries.hpp)
  bool committed_ = false;
};

} // namespace weightio::detail
