// Header-only C++ layer over plugin_abi.h for plugin authors (C++17 or later).
//
// Write ordinary C++ that throws; wrap each ABI entry point in sdk::guard(),
// which turns exceptions into a wio_status plus a message in the host's
// buffer, so no exception ever crosses the C boundary. Sink and ReadContext
// wrap the host's callbacks and throw sdk::Failure when the host reports an
// error. Nothing here allocates memory that the host must free.
#ifndef WEIGHTIO_PLUGIN_SDK_HPP
#define WEIGHTIO_PLUGIN_SDK_HPP

#include <weightio/dtype_info.hpp>
#include <weightio/plugin_abi.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace weightio::sdk {

// An error with its ABI status. Throw it from plugin code; guard() reports it.
class Failure : public std::exception {
public:
  Failure(wio_status status, std::string message) : status_(status), message_(std::move(message)) {}
  wio_status status() const noexcept { return status_; }
  const char *what() const noexcept override { return message_.c_str(); }

private:
  wio_status status_;
  std::string message_;
};

[[noreturn]] inline void fail(wio_status status, std::string message) {
  throw Failure(status, std::move(message));
}
[[noreturn]] inline void invalid_file(std::string message) {
  fail(WIO_ERR_INVALID_FILE, std::move(message));
}

inline void write_error(char *buf, size_t cap, std::string_view msg) noexcept {
  if (buf == nullptr || cap == 0)
    return;
  size_t n = msg.size() < cap - 1 ? msg.size() : cap - 1;
  std::memcpy(buf, msg.data(), n);
  buf[n] = '\0';
}

// Runs f() and maps what it throws onto a status. f returns void.
template <class F> int32_t guard(char *error, size_t error_size, F &&f) noexcept {
  try {
    std::forward<F>(f)();
    return WIO_OK;
  } catch (const Failure &e) {
    write_error(error, error_size, e.what());
    // A Failure carrying WIO_OK would report success for a failed call.
    return e.status() == WIO_OK ? WIO_ERR_INTERNAL : e.status();
  } catch (const std::bad_alloc &) {
    write_error(error, error_size, "out of memory");
    return WIO_ERR_INTERNAL;
  } catch (const std::exception &e) {
    write_error(error, error_size, e.what());
    return WIO_ERR_INTERNAL;
  } catch (...) {
    write_error(error, error_size, "unknown exception in plugin");
    return WIO_ERR_INTERNAL;
  }
}

inline std::string_view view(wio_str s) {
  return {s.data, s.size};
}
inline wio_str make_str(std::string_view s) {
  return {s.data(), s.size()};
}

// Quotes a tensor name for messages.
inline std::string quoted(std::string_view name) {
  return "'" + std::string(name) + "'";
}

// Throws Failure for a host callback's non-OK status. The message is empty:
// the host already holds the reason and reports it itself.
inline void check_host_status(int32_t st) {
  if (st != WIO_OK)
    fail(static_cast<wio_status>(st), "");
}

// The host's output sink. Every call throws Failure when the host fails.
class Sink {
public:
  explicit Sink(const wio_sink *s) : s_(s) {}
  void write(const void *data, size_t size) const {
    check_host_status(s_->write(s_->ctx, data, size));
  }
  void write(std::string_view bytes) const { write(bytes.data(), bytes.size()); }
  void writev(const wio_iovec *iov, size_t count) const {
    check_host_status(s_->writev(s_->ctx, iov, count));
  }
  void pwrite(uint64_t offset, const void *data, size_t size) const {
    check_host_status(s_->pwrite(s_->ctx, offset, data, size));
  }
  uint64_t position() const { return s_->position(s_->ctx); }
  void progress(uint64_t done, uint64_t total) const {
    check_host_status(s_->progress(s_->ctx, done, total));
  }

private:
  const wio_sink *s_;
};

// The host's side of a read.
class ReadContext {
public:
  explicit ReadContext(const wio_read_request *r) : r_(r) {}
  const uint8_t *data() const { return r_->data; }
  uint64_t size() const { return r_->size; }
  bool verify_all() const { return (r_->flags & WIO_READ_VERIFY) != 0; }
  const wio_read_limits &limits() const { return *r_->limits; }

  bool wants(std::string_view name) const { return r_->wants(r_->ctx, make_str(name)) != 0; }
  // Throws Failure(WIO_ERR_INTERNAL) when the host refuses.
  void *alloc(uint64_t size, uint64_t alignment, std::string_view what) const {
    void *p = r_->alloc(r_->ctx, size, alignment);
    if (p == nullptr)
      fail(WIO_ERR_INTERNAL,
           "cannot allocate " + std::to_string(size) + " bytes for " + std::string(what));
    return p;
  }
  void emit(const wio_tensor_out &t) const { check_host_status(r_->emit_tensor(r_->ctx, &t)); }
  void metadata(std::string_view key, std::string_view value) const {
    check_host_status(r_->emit_metadata(r_->ctx, make_str(key), make_str(value)));
  }
  void progress(uint64_t done, uint64_t total) const {
    check_host_status(r_->progress(r_->ctx, done, total));
  }

private:
  const wio_read_request *r_;
};

inline wio_tensor_out mapped_tensor(int32_t dtype, std::string_view name, const int64_t *shape,
                                    uint32_t ndim, uint64_t offset, uint64_t nbytes) {
  wio_tensor_out t{};
  t.struct_size = sizeof(wio_tensor_out);
  t.dtype = dtype;
  t.name = make_str(name);
  t.ndim = ndim;
  t.shape = shape;
  t.storage = WIO_STORAGE_MAPPED;
  t.offset = offset;
  t.nbytes = nbytes;
  return t;
}

inline wio_tensor_out buffer_tensor(int32_t dtype, std::string_view name, const int64_t *shape,
                                    uint32_t ndim, void *buffer, uint64_t nbytes) {
  wio_tensor_out t{};
  t.struct_size = sizeof(wio_tensor_out);
  t.dtype = dtype;
  t.name = make_str(name);
  t.ndim = ndim;
  t.shape = shape;
  t.storage = WIO_STORAGE_BUFFER;
  t.buffer = buffer;
  t.nbytes = nbytes;
  return t;
}

} // namespace weightio::sdk

// Defines the exported entry returning `descriptor` (a static wio_plugin).
#define WEIGHTIO_DEFINE_PLUGIN(descriptor)                                                         \
  extern "C" WEIGHTIO_PLUGIN_EXPORT const wio_plugin *weightio_plugin_entry(                       \
      uint32_t host_abi_version) {                                                                 \
    (void)host_abi_version;                                                                        \
    return &(descriptor);                                                                          \
  }

#endif
