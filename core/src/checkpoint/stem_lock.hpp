// The lock that serialises saves of one checkpoint stem, across threads and
// processes.
#pragma once

#include "checkpoint/checkpoint_name.hpp"

#include <filesystem>

namespace weightio::detail {

// Serialises saves of one stem, across threads and processes: an
// open-file-description lock (as AtomicFile's) on a lock file, removed by
// its holder. A waiter that gets the lock on a file already unlinked (or
// replaced) retries on the file now at the name, so two savers never both
// hold "the" lock.
class StemLock {
public:
  // Blocks until the lock is held. Throws IoError naming `shown` when the
  // lock file can't be opened or locked.
  StemLock(const CheckpointName &name, const std::filesystem::path &shown);
  // Removes the lock file, then lets go of it; never throws.
  ~StemLock();
  StemLock(const StemLock &) = delete;
  StemLock &operator=(const StemLock &) = delete;

private:
  std::filesystem::path path_;
  int fd_ = -1;
};

} // namespace weightio::detail
