#include "io/atomic_file.hpp"

#include "io/file_kind.hpp"
#include "io/live_temporaries.hpp"
#include "support/log_internal.hpp"
#include "support/os_error.hpp"

#include <weightio/error.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string_view>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {

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

fs::path folder_of(const fs::path &p) {
  fs::path dir = p.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// The kernel's fs.protected_symlinks rule, applied whatever the sysctl says
// (it is off on some systems): in a sticky, world-writable folder (/tmp), a
// link is followed only when the saver or the folder's owner owns it.
// Otherwise anyone could plant a link there and aim a root-run save at any
// file on the system.
void check_link_may_be_followed(const fs::path &target, const fs::path &link,
                                const struct stat &link_st) {
  const fs::path dir = folder_of(link);
  struct stat dir_st {};
  if (::stat(dir.c_str(), &dir_st) != 0)
    return; // the save fails later, naming the missing folder
  const bool shared = (dir_st.st_mode & S_ISVTX) && (dir_st.st_mode & S_IWOTH);
  const uid_t me = ::geteuid();
  if (!shared || link_st.st_uid == me || link_st.st_uid == dir_st.st_uid)
    return;
  throw IoError(ErrorCode::Io,
                "cannot save '" + target.string() + "': refusing to follow the symlink '" +
                    link.string() + "', owned by uid " + std::to_string(link_st.st_uid) +
                    ", in the sticky world-writable folder '" + dir.string() + "' (owned by uid " +
                    std::to_string(dir_st.st_uid) +
                    "): there, only links owned by the saving user (uid " + std::to_string(me) +
                    ") or by the folder's owner are followed, as the kernel's "
                    "fs.protected_symlinks rule does; save to the link's destination instead",
                target.string());
}

fs::path resolve_symlinks(const fs::path &target) {
  fs::path p = target;
  for (int depth = 0; depth < 40; ++depth) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode))
      return p;
    std::error_code ec;
    fs::path link = fs::read_symlink(p, ec);
    if (ec)
      return p;
    check_link_may_be_followed(target, p, st);
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
  throw IoError(ErrorCode::Io, "cannot save '" + target.string() + "': too many levels of symlinks",
                target.string());
}

// The new file takes the place of `old`: it gets old's permission bits, but
// never setuid, setgid or sticky (a bit granted to the old contents is not a
// grant to whatever is saved now). A save by root keeps the old file's owner
// and group, so that replacing a user's file does not hand it to root.
// Others cannot give files away, and their new file is theirs.
void take_over_ownership_and_mode(const fs::path &target, int fd, const struct stat &old) {
  if (::geteuid() == 0) {
    struct stat now {};
    if (::fstat(fd, &now) != 0) {
      const int err = errno;
      throw_os_error("save", target, "cannot stat the temporary file", err);
    }
    if ((now.st_uid != old.st_uid || now.st_gid != old.st_gid) &&
        ::fchown(fd, old.st_uid, old.st_gid) != 0) {
      const int err = errno;
      throw_os_error("save", target, "cannot give the new file the old file's owner and group",
                     err);
    }
  }
  // After fchown, which may clear the bits it would otherwise keep.
  if (::fchmod(fd, old.st_mode & 0777) != 0) {
    const int err = errno;
    throw_os_error("save", target, "cannot set permissions", err);
  }
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
  const fs::path dir = folder_of(resolved_);
  if (resolved_.filename().empty())
    throw_os_error("save", target, "the path names a folder, not a file", EISDIR);

  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    const int err = errno; // before the message is built
    throw_os_error("save", target, "folder '" + dir.string() + "'", err);
  }
  if (!S_ISDIR(st.st_mode))
    throw_os_error("save", target, "'" + dir.string() + "' is not a folder", ENOTDIR);

  bool has_old = false;
  struct stat old {};
  if (::stat(resolved_.c_str(), &old) == 0) {
    if (S_ISDIR(old.st_mode))
      throw_os_error("save", target, "the path is a folder", EISDIR);
    // rename() would replace a FIFO, socket or device with a regular file.
    if (!S_ISREG(old.st_mode))
      throw_os_error("save", target,
                     std::string("the path exists and is ") + file_kind(old.st_mode) +
                         ", not a regular file",
                     EINVAL);
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
      throw_os_error("save", target, "cannot create a temporary file in '" + dir.string() + "'",
                     err);
    }
    if (!lock_file(fd, /*exclusive=*/true, /*wait=*/true)) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw_os_error("save", target, "cannot lock the temporary file", err);
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
    if (has_old) {
      try {
        take_over_ownership_and_mode(target, fd, old);
      } catch (...) {
        ::close(fd);
        ::unlink(temp.c_str());
        throw;
      }
    }
    fd_ = fd;
    temp_ = temp;
    live_ = remember_temporary(temp_.c_str());
    return;
  }
  throw_os_error("save", target, "cannot create a unique temporary file", EEXIST);
}

namespace {

// "<prefix><pid>-<hex digits>", as the constructor names temporaries (12
// hex digits now; fewer in names other versions may have left).
bool has_temporary_form(std::string_view name, std::string_view prefix) {
  name.remove_prefix(prefix.size());
  const size_t dash = name.find('-');
  const size_t hex = name.size() - dash - 1;
  if (dash == 0 || dash == std::string_view::npos || hex == 0 || hex > 16)
    return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool digit = c >= '0' && c <= '9';
    if (i < dash ? !digit : i > dash && !digit && !(c >= 'a' && c <= 'f'))
      return false;
  }
  return true;
}

void leave_alone(const fs::path &file, const fs::path &target, const std::string &why) {
  log()->warn("left '{}' alone, although it is named like a temporary file of a save to '{}': {}",
              file.string(), target.string(), why);
}

} // namespace

// Anyone who can write to the folder can plant files under these names, so a
// candidate is only looked at without following links and without blocking,
// and removed only when it is what an interrupted save of ours leaves: a
// regular file, of the saving user, that no live save holds locked.
void AtomicFile::remove_stale_temporaries() const {
  const fs::path dir = folder_of(resolved_);
  const std::string prefix = temp_prefix(resolved_);
  DIR *d = ::opendir(dir.c_str());
  if (d == nullptr)
    return;
  const int dfd = ::dirfd(d);
  const uid_t me = ::geteuid();
  while (dirent *e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind(prefix, 0) != 0)
      continue;
    const fs::path p = dir / name;
    if (!has_temporary_form(name, prefix)) {
      leave_alone(p, target_, "its name does not end in <pid>-<hex digits>");
      continue;
    }
    // Looked at before opening: opening a device can have side effects.
    struct stat st {};
    if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue; // gone meanwhile
    if (!S_ISREG(st.st_mode)) {
      leave_alone(p, target_, std::string("it is ") + file_kind(st.st_mode));
      continue;
    }
    const int fd =
        ::openat(dfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
      const int err = errno;
      if (err != ENOENT)
        leave_alone(p, target_, "cannot open it: " + os_reason(err));
      continue;
    }
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      leave_alone(p, target_, "it is not a regular file");
    } else if (st.st_uid != me) {
      leave_alone(p, target_,
                  "it belongs to uid " + std::to_string(st.st_uid) +
                      ", not to the saving user (uid " + std::to_string(me) + ")");
    } else if (lock_file(fd, /*exclusive=*/false, /*wait=*/false)) {
      // A live save holds its temporary locked; only unlocked ones are stale.
      // The name must still be the file examined (not one swapped in since).
      struct stat by_name {};
      if (::fstatat(dfd, name.c_str(), &by_name, AT_SYMLINK_NOFOLLOW) == 0 &&
          by_name.st_ino == st.st_ino && by_name.st_dev == st.st_dev &&
          ::unlinkat(dfd, name.c_str(), 0) == 0)
        log()->info("removed stale temporary file '{}' from an interrupted save", p.string());
    }
    ::close(fd);
  }
  ::closedir(d);
}

void AtomicFile::commit(bool durable) {
  if (durable && ::fsync(fd_) != 0) {
    const int err = errno;
    throw_os_error("save", target_, "fsync failed", err);
  }
  if (::rename(temp_.c_str(), resolved_.c_str()) != 0) {
    const int err = errno;
    throw_os_error("save", target_, "cannot rename the temporary file into place", err);
  }
  committed_ = true;
  forget_temporary(live_);
  live_ = -1;
  if (durable) {
    const fs::path dir = folder_of(resolved_);
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      const int err = errno;
      throw_os_error("save", target_,
                     "cannot open the folder to fsync it (the new file is in place)", err);
    }
    int rc = ::fsync(dfd);
    int err = errno;
    ::close(dfd);
    if (rc != 0)
      throw_os_error("save", target_, "fsync of the folder failed (the new file is in place)", err);
  }
  ::close(fd_); // releases the lock only now that the name is gone
  fd_ = -1;
}

AtomicFile::~AtomicFile() {
  forget_temporary(live_);
  if (!committed_ && !temp_.empty())
    ::unlink(temp_.c_str());
  if (fd_ >= 0)
    ::close(fd_);
}

} // namespace weightio::detail
