#include "atomic_file.hpp"

#include "log_internal.hpp"

#include <weightio/error.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void io_fail(const fs::path &file, const std::string &what, int err) {
  throw IoError(ErrorCode::Io,
                "cannot save '" + file.string() + "': " + what + ": " + std::strerror(err),
                file.string());
}

// A live save holds its temporary file under an open-file-description lock
// (F_OFD_SETLK: Linux >= 3.15). Not flock(): on NFS the kernel emulates
// flock with POSIX record locks, which a process holds once for all its
// descriptors, so one thread's sweep could take another thread's live file
// for stale. Not F_SETLK: closing any descriptor of the file drops it.
// `exclusive`: a write lock (the save's, on its O_WRONLY descriptor); else a
// read lock, which is enough to learn that no save holds the file.
bool lock_file(int fd, bool exclusive, bool wait) {
  struct flock l {};
  l.l_type = exclusive ? F_WRLCK : F_RDLCK;
  l.l_whence = SEEK_SET; // l_start = l_len = 0: the whole file, however long
  for (;;) {
    if (::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &l) == 0)
      return true;
    if (errno != EINTR)
      return false;
  }
}

fs::path resolve_symlinks(const fs::path &target) {
  fs::path p = target;
  for (int depth = 0; depth < 40; ++depth) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec)))
      return p;
    fs::path link = fs::read_symlink(p, ec);
    if (ec)
      return p;
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
  throw IoError(ErrorCode::Io, "cannot save '" + target.string() + "': too many levels of symlinks",
                target.string());
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char *hex = "0123456789abcdef";
  uint64_t v = rng();
  std::string s;
  for (int i = 0; i < 12; ++i, v >>= 4)
    s += hex[v & 15];
  return s;
}

} // namespace

std::string AtomicFile::temp_prefix(const fs::path &resolved_target) {
  return "." + resolved_target.filename().string() + ".weightio-tmp-";
}

AtomicFile::AtomicFile(const fs::path &target) : target_(target) {
  resolved_ = resolve_symlinks(target);
  fs::path dir = resolved_.parent_path();
  if (dir.empty())
    dir = ".";
  if (resolved_.filename().empty())
    io_fail(target, "the path names a folder, not a file", EISDIR);

  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    const int err = errno; // before the message is built
    io_fail(target, "folder '" + dir.string() + "'", err);
  }
  if (!S_ISDIR(st.st_mode))
    io_fail(target, "'" + dir.string() + "' is not a folder", ENOTDIR);

  bool has_old = false;
  struct stat old {};
  if (::stat(resolved_.c_str(), &old) == 0) {
    if (S_ISDIR(old.st_mode))
      io_fail(target, "the path is a folder", EISDIR);
    // rename() would replace a FIFO, socket or device with a regular file.
    if (!S_ISREG(old.st_mode))
      io_fail(target, "the path exists and is not a regular file", EINVAL);
    has_old = true;
  }

  remove_stale_temporaries();

  for (int attempt = 0; attempt < 16; ++attempt) {
    fs::path temp =
        dir / (temp_prefix(resolved_) + std::to_string(::getpid()) + "-" + random_suffix());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      const int err = errno;
      if (err == EEXIST)
        continue;
      io_fail(target, "cannot create a temporary file in '" + dir.string() + "'", err);
    }
    if (!lock_file(fd, /*exclusive=*/true, /*wait=*/true)) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      io_fail(target, "cannot lock the temporary file", err);
    }
    // Another save's stale-file sweep may have removed our file between
    // open and lock; only a file still at its name is ours to use.
    struct stat by_fd {
    }, by_name{};
    if (::fstat(fd, &by_fd) != 0 || ::stat(temp.c_str(), &by_name) != 0 ||
        by_fd.st_ino != by_name.st_ino || by_fd.st_dev != by_name.st_dev) {
      // If the name still holds our file (stat failed oddly), remove it.
      if (::fstat(fd, &by_fd) == 0 && ::stat(temp.c_str(), &by_name) == 0 &&
          by_fd.st_ino == by_name.st_ino && by_fd.st_dev == by_name.st_dev)
        ::unlink(temp.c_str());
      ::close(fd);
      continue;
    }
    if (has_old && ::fchmod(fd, old.st_mode & 07777) != 0) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      io_fail(target, "cannot set permissions", err);
    }
    fd_ = fd;
    temp_ = temp;
    return;
  }
  io_fail(target, "cannot create a unique temporary file", EEXIST);
}

void AtomicFile::remove_stale_temporaries() const {
  fs::path dir = resolved_.parent_path();
  if (dir.empty())
    dir = ".";
  const std::string prefix = temp_prefix(resolved_);
  DIR *d = ::opendir(dir.c_str());
  if (d == nullptr)
    return;
  while (dirent *e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0)
      continue;
    fs::path p = dir / name;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
      continue;
    // A live save holds its temporary locked; only unlocked ones are stale.
    if (lock_file(fd, /*exclusive=*/false, /*wait=*/false)) {
      if (::unlink(p.c_str()) == 0)
        log()->info("removed stale temporary file '{}' from an interrupted save", p.string());
    }
    ::close(fd);
  }
  ::closedir(d);
}

void AtomicFile::commit(bool durable) {
  if (durable && ::fsync(fd_) != 0) {
    const int err = errno;
    io_fail(target_, "fsync failed", err);
  }
  if (::rename(temp_.c_str(), resolved_.c_str()) != 0) {
    const int err = errno;
    io_fail(target_, "cannot rename the temporary file into place", err);
  }
  committed_ = true;
  if (durable) {
    fs::path dir = resolved_.parent_path();
    if (dir.empty())
      dir = ".";
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      const int err = errno;
      io_fail(target_, "cannot open the folder to fsync it (the new file is in place)", err);
    }
    int rc = ::fsync(dfd);
    int err = errno;
    ::close(dfd);
    if (rc != 0)
      io_fail(target_, "fsync of the folder failed (the new file is in place)", err);
  }
  ::close(fd_); // releases the lock only now that the name is gone
  fd_ = -1;
}

AtomicFile::~AtomicFile() {
  if (!committed_ && !temp_.empty())
    ::unlink(temp_.c_str());
  if (fd_ >= 0)
    ::close(fd_);
}

} // namespace weightio::detail
