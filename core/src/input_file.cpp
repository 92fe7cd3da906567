#include "input_file.hpp"

#include <weightio/error.hpp>
#include <weightio/tensor.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weightio::detail {

namespace {

[[noreturn]] void io_fail(const std::filesystem::path &path, const std::string &what, int err) {
  throw IoError(ErrorCode::Io,
                "cannot load '" + path.string() + "': " + what + ": " + std::strerror(err),
                path.string());
}

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
      io_fail(path, "read failed", err);
    }
    if (n == 0)
      io_fail(path, "the file shrank while being read", EIO);
    done += static_cast<uint64_t>(n);
  }
  return {p, size, std::move(buf)};
}

} // namespace

InputBytes open_input(const std::filesystem::path &path, bool read_into_memory) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    const int err = errno; // read before any message is built
    io_fail(path, err == ENOENT ? "no such file" : "cannot open", err);
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    const int err = errno;
    io_fail(path, "cannot stat", err);
  }
  if (S_ISDIR(st.st_mode))
    io_fail(path, "it is a folder", EISDIR);
  if (!S_ISREG(st.st_mode))
    io_fail(path, "not a regular file", EINVAL);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size == 0) {
    static const uint8_t empty[64] = {};
    return {empty, 0, nullptr};
  }
  if (read_into_memory)
    return read_all(path, f.fd, size);
  void *addr = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (addr == MAP_FAILED) {
    const int err = errno;
    if (err == ENODEV || err == EACCES || err == EINVAL)
      return read_all(path, f.fd, size); // file systems that cannot map
    io_fail(path, "cannot map", err);
  }
  auto mapping = std::make_shared<Mapping>(addr, static_cast<size_t>(size));
  return {static_cast<const uint8_t *>(addr), size, std::move(mapping), true};
}

} // namespace weightio::detail
