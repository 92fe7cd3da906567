#include "io/input_file.hpp"

#include "io/file_kind.hpp"
#include "support/os_error.hpp"

#include <weightio/error.hpp>
#include <weightio/tensor.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weightio::detail {

namespace {

struct Mapping {
  Mapping(void *a, size_t s) : addr(a), size(s) {}
  Mapping(const Mapping &) = delete;
  Mapping &operator=(const Mapping &) = delete;
  ~Mapping() { ::munmap(addr, size); }
  void *addr;
  size_t size;
};

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0)
      ::close(fd);
  }
};

// A map read through pread: the map and the descriptor live together.
struct MappedFile {
  MappedFile(void *a, size_t s, int f) : map(a, s), fd{f} {}
  Mapping map;
  Fd fd;
};

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 // Linux 5.14; older headers lack the name
#endif

// A hint: a kernel without MADV_POPULATE_READ (EINVAL) gets the older,
// asynchronous MADV_WILLNEED; any other failure leaves the faults to the
// reads, as without the option.
void populate(void *addr, size_t size) {
  if (::madvise(addr, size, MADV_POPULATE_READ) != 0 && errno == EINVAL)
    ::madvise(addr, size, MADV_WILLNEED);
}

InputBytes read_all(const std::filesystem::path &path, int fd, uint64_t size) {
  auto buf = allocate_aligned(size, 4096);
  auto *p = static_cast<uint8_t *>(buf.get());
  uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, p + done, static_cast<size_t>(size - done), static_cast<off_t>(done));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      const int err = errno;
      throw_os_error("load", path, "read failed", err);
    }
    if (n == 0)
      throw_os_error("load", path, "the file shrank while being read", EIO);
    done += static_cast<uint64_t>(n);
  }
  InputBytes in{p, size, std::move(buf)};
  in.copied = true;
  return in;
}

// Refuses anything but a regular file, naming what it is: reading a FIFO
// would wait for a writer, a device could be endless, a folder has no bytes.
void require_regular(const std::filesystem::path &path, mode_t mode) {
  if (S_ISREG(mode))
    return;
  throw IoError(ErrorCode::Io,
                "cannot load '" + path.string() + "': it is " + file_kind(mode) +
                    ", not a regular file",
                path.string());
}

// Network and FUSE file systems: each page fault of a map is a round trip
// (and a server-side truncation a SIGBUS), while large parallel preads
// stream. Magic numbers from statfs(2).
bool remote_file_system(int fd) {
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0)
    return false;
  switch (static_cast<uint64_t>(fs.f_type)) {
  case 0x6969:     // NFS
  case 0x65735546: // FUSE
  case 0x517B:     // SMB
  case 0xFF534D42: // CIFS
  case 0xFE534D42: // SMB2
  case 0x01021997: // 9P (v9fs, virtiofs-like shares)
  case 0x00C36400: // Ceph
  case 0x47504653: // GPFS
  case 0x0BD00BD0: // Lustre
    return true;
  default:
    return false;
  }
}

} // namespace

InputBytes open_input(const std::filesystem::path &path, const InputOptions &options) {
  // Looked at before opening, so that opening has no side effect on a
  // device (a tape rewinds, a tty becomes the controlling one).
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0)
    require_regular(path, st.st_mode);
  // O_NONBLOCK: a FIFO swapped in after the stat would block the open until a
  // writer came; with it the open returns and the fstat below refuses it.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (f.fd < 0) {
    const int err = errno; // read before any message is built
    if (err == ENOENT)
      throw_os_error("load", path, "no such file", err);
    if (err == ELOOP)
      throw_os_error("load", path, "a symlink loop, or too many symlinks in a chain", err);
    if (err == ENXIO && ::stat(path.c_str(), &st) == 0)
      require_regular(path, st.st_mode); // a socket
    throw_os_error("load", path, "cannot open", err);
  }
  if (::fstat(f.fd, &st) != 0) {
    const int err = errno;
    throw_os_error("load", path, "cannot stat", err);
  }
  require_regular(path, st.st_mode);
  // Regular files never block; clearing the flag keeps reads plain on file
  // systems that honour it (some FUSE and network ones).
  const int flags = ::fcntl(f.fd, F_GETFL);
  if (flags < 0 || ::fcntl(f.fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    const int err = errno;
    throw_os_error("load", path, "cannot set the file's flags", err);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) {
    static const uint8_t empty[64] = {};
    return {empty, 0, nullptr};
  }
  void *addr = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (addr == MAP_FAILED) {
    const int err = errno;
    if (options.read_into_memory || err == ENODEV || err == EACCES || err == EINVAL)
      return read_all(path, f.fd, size); // file systems that cannot map
    throw_os_error("load", path, "cannot map", err);
  }
  if (options.read_into_memory || remote_file_system(f.fd)) {
    auto file = std::make_shared<MappedFile>(addr, static_cast<size_t>(size), f.fd);
    f.fd = -1; // the MappedFile owns it now
    return {static_cast<const uint8_t *>(addr), size, file, true, true, file->fd.fd};
  }
  auto mapping = std::make_shared<Mapping>(addr, static_cast<size_t>(size));
  if (options.populate)
    populate(addr, static_cast<size_t>(size));
  return {static_cast<const uint8_t *>(addr), size, std::move(mapping), true};
}

} // namespace weightio::detail
