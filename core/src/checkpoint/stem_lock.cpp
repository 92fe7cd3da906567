#include "checkpoint/stem_lock.hpp"

#include "support/os_error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace weightio::detail {

StemLock::StemLock(const CheckpointName &name, const std::filesystem::path &shown)
    : path_(name.dir / name.lock()) {
  for (;;) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd_ < 0) {
      const int err = errno;
      throw_os_error("save", shown, "cannot open the lock file '" + path_.string() + "'", err);
    }
    struct flock l {};
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    while (::fcntl(fd_, F_OFD_SETLKW, &l) != 0) {
      if (errno != EINTR) {
        const int err = errno;
        ::close(fd_);
        throw_os_error("save", shown, "cannot lock '" + path_.string() + "'", err);
      }
    }
    // The holder before us may have unlinked the file we waited on: only
    // the file now at the name counts.
    struct stat by_fd {
    }, by_name{};
    if (::fstat(fd_, &by_fd) == 0 && ::lstat(path_.c_str(), &by_name) == 0 &&
        by_fd.st_ino == by_name.st_ino && by_fd.st_dev == by_name.st_dev)
      return;
    ::close(fd_);
  }
}

StemLock::~StemLock() {
  ::unlink(path_.c_str());
  ::close(fd_);
}

} // namespace weightio::detail
