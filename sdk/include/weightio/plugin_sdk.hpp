// Header-only C++ layer over plugin_abi.h for plugin authors (C++17 or later).
//
// Write ordinary C++ that throws; wrap each ABI entry point in sdk::guard(),
// which turns exceptions into a wio_status plus a message in the host's
// buffer, so no exception ever crosses the C boundary. Sink and ReadContext
// wrap the host's callbacks and throw sdk::Failure when the host reports an
// error. Nothing here allocates memory that the host must free.
//
// Names from a file appear in messages through sdk::quoted()
// (weightio/quoted.hpp: UTF-8 kept, controls, C1 and bidi characters
// escaped, cut at 256 bytes) and UTF-8 is checked with sdk::is_utf8()
// (weightio/utf8.hpp), both included here; a file's fields are read with
// sdk::ByteReader (weightio/byte_io.hpp, which includes this header).
// Typed metadata is made and read with weightio/plugin_values.hpp (included
// here); a format's decode calls are read with sdk::DecodeCall
// (weightio/decode_call.hpp).
//
// The SDK serves plugins that declare ABI 2 or later (make_plugin() declares
// this header's WEIGHTIO_ABI_VERSION): no host of ABI 1 loads those, so it
// reads the fields ABI 2 added without asking, and asks (WIO_HAS_FIELD) only
// for fields that may really be absent: those added in ABI 3, which a host
// of ABI 2 lacks, and the split checks, which arrived within ABI 2.
#ifndef WEIGHTIO_PLUGIN_SDK_HPP
#define WEIGHTIO_PLUGIN_SDK_HPP

#include <weightio/dtype_info.hpp>
#include <weightio/limit_text.hpp>
#include <weightio/plugin_abi.h>
#include <weightio/plugin_values.hpp>
#include <weightio/quoted.hpp>
#include <weightio/utf8.hpp>

#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <new>
#include <optional>
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

// ABI 3: a file, or a save, over a limit (WIO_ERR_LIMIT), worded by
// over_limit_text (weightio/limit_text.hpp), as the host words its own.
// `field` names the limit for the host's Error::limit(): a wio_read_limits
// or wio_write_limits field ("max_tensors"), or a name of the format's own.
class LimitExceeded : public Failure {
public:
  LimitExceeded(std::string_view what, uint64_t value, uint64_t limit, std::string_view field)
      : Failure(WIO_ERR_LIMIT, over_limit_text(what, value, limit, field)) {}
};
[[noreturn]] inline void over_limit(std::string_view what, uint64_t value, uint64_t limit,
                                    std::string_view field) {
  throw LimitExceeded(what, value, limit, field);
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

// A wio_format with every field zero but struct_size: fill in what the
// format has, so a descriptor compiles unchanged when the ABI appends
// fields.
inline wio_format empty_format() {
  wio_format f;
  std::memset(&f, 0, sizeof f);
  f.struct_size = sizeof(wio_format);
  return f;
}

// The plugin descriptor for `formats`, built for this header's ABI. `abi`
// is for a second descriptor handed to hosts of an older ABI (>= 2) that
// need nothing the newer one added.
inline wio_plugin make_plugin(const char *name, const char *version,
                              const wio_format *const *formats, size_t format_count,
                              uint32_t abi = WEIGHTIO_ABI_VERSION) {
  wio_plugin p{};
  p.struct_size = sizeof(wio_plugin);
  p.abi_version = abi;
  p.name = name;
  p.version = version;
  p.formats = formats;
  p.format_count = format_count;
  return p;
}

// A block type: `elements` per block in `bytes` bytes, views aligned to
// `alignment` (a power of two; 1 = none). The three numbers are its geometry.
inline wio_block_type block_type(const char *name, uint32_t elements, uint64_t bytes,
                                 uint64_t alignment) {
  wio_block_type b{};
  b.struct_size = sizeof(wio_block_type);
  b.block_elements = elements;
  b.block_bytes = bytes;
  b.name = name;
  b.alignment = alignment;
  return b;
}

// Write limits, every one 0 (none): set those the format has.
inline wio_write_limits empty_limits() {
  wio_write_limits l{};
  l.struct_size = sizeof(wio_write_limits);
  return l;
}

// Options a format declares. `flags`: WIO_OPTION_SAVE and/or
// WIO_OPTION_LOAD; defaults in canonical text.
inline wio_option_decl bool_option(uint32_t flags, const char *name, const char *description,
                                   bool default_value) {
  wio_option_decl o{};
  o.struct_size = sizeof(wio_option_decl);
  o.flags = flags;
  o.name = name;
  o.description = description;
  o.type = WIO_OPTION_BOOL;
  o.default_value = default_value ? "true" : "false";
  return o;
}
inline wio_option_decl int_option(uint32_t flags, const char *name, const char *description,
                                  const char *default_value, int64_t min, int64_t max) {
  wio_option_decl o = bool_option(flags, name, description, false);
  o.type = WIO_OPTION_INT;
  o.default_value = default_value;
  o.min = min;
  o.max = max;
  return o;
}
// `choices`: NULL-terminated, or NULL for any string.
inline wio_option_decl string_option(uint32_t flags, const char *name, const char *description,
                                     const char *default_value, const char *const *choices) {
  wio_option_decl o = bool_option(flags, name, description, false);
  o.type = WIO_OPTION_STRING;
  o.default_value = default_value;
  o.choices = choices;
  return o;
}

// A WIO_DTYPE_BIT mask of the listed dtypes.
constexpr uint64_t dtype_mask(std::initializer_list<int32_t> dtypes) {
  uint64_t m = 0;
  for (int32_t d : dtypes)
    m |= WIO_DTYPE_BIT(d);
  return m;
}

// A WIO_VALUE_BIT mask of the listed metadata value types.
constexpr uint32_t value_mask(std::initializer_list<int32_t> types) {
  uint32_t m = 0;
  for (int32_t t : types)
    m |= WIO_VALUE_BIT(t);
  return m;
}
inline constexpr uint32_t kAllValueTypes = (UINT32_C(1) << WIO_VALUE_COUNT) - 1;

// The canonical text of an option the host passed (it passes every declared
// option, defaults filled in), or nullopt when absent (an older host).
inline std::optional<std::string_view> find_option(const wio_kv *options, size_t count,
                                                   std::string_view name) {
  for (size_t i = 0; options != nullptr && i < count; ++i)
    if (std::string_view(options[i].key.data, options[i].key.size) == name)
      return std::string_view(options[i].value.data, options[i].value.size);
  return std::nullopt;
}

// A save option of a request.
inline std::optional<std::string_view> write_option(const wio_write_request &r,
                                                    std::string_view name) {
  return find_option(r.options, r.option_count, name);
}

// The metadata of a save, each entry typed (weightio/plugin_values.hpp).
inline MetadataView metadata(const wio_write_request &r) noexcept {
  return MetadataView(r);
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
  // A non-fatal note for the caller ("metadata key dropped").
  void warn(std::string_view message) const {
    if (s_->warn != nullptr)
      s_->warn(s_->ctx, make_str(message));
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
  // Whether the host wants names, types and shapes only (WIO_READ_DESCRIBE).
  bool describe_only() const { return (r_->flags & WIO_READ_DESCRIBE) != 0; }
  // The host's limits; all zero (no limit) when it passed none.
  const wio_read_limits &limits() const {
    static const wio_read_limits none{sizeof(wio_read_limits), 0, 0, 0, 0};
    return r_->limits != nullptr ? *r_->limits : none;
  }
  // WIO_READ_DEFER: the host runs checks and decodes on its threads, and
  // takes CHECKED tensors and DECODE tensors with a buffer
  // (docs/PLUGINS-ADVANCED.md). Without it the reader does that work.
  bool defer() const { return (r_->flags & WIO_READ_DEFER) != 0; }
  // The dtype block-quantized tensors are to be emitted as (one of the
  // format's dequantize_dtypes), or WIO_DEQUANTIZE_NONE: keep the blocks,
  // also what a host of ABI 2 (which has no such field) means.
  int32_t dequantize() const {
    return WIO_HAS_FIELD(r_, wio_read_request, dequantize) ? r_->dequantize : WIO_DEQUANTIZE_NONE;
  }
  [[deprecated("every host that loads an ABI-2 plugin sends the ABI-2 fields")]] bool
  has_v2() const {
    return true;
  }
  // A load option the format declared (every one is passed, defaults filled
  // in), in canonical text.
  std::optional<std::string_view> option(std::string_view name) const {
    return find_option(r_->options, r_->option_count, name);
  }
  uint32_t threads() const { return r_->threads != 0 ? r_->threads : 1; }
  // A non-fatal note for the caller ("metadata key dropped").
  void warn(std::string_view message) const {
    if (r_->warn != nullptr)
      r_->warn(r_->ctx, make_str(message));
  }
  // One typed metadata entry, in file order: a wio_value, or a C++ value
  // made into one by make_value (value("n", uint32_t{32}) emits a U32,
  // value("name", "text") a STRING).
  void value(std::string_view key, const wio_value &v) const {
    check_host_status(r_->emit_value(r_->ctx, make_str(key), &v));
  }
  template <class T> void value(std::string_view key, const T &v) const {
    value(key, make_value(v));
  }

  bool wants(std::string_view name) const { return r_->wants(r_->ctx, make_str(name)) != 0; }
  // Memory for the tensor named `what` (a block to emit as BUFFER storage);
  // throws Failure(WIO_ERR_INTERNAL) when the host refuses.
  void *alloc(uint64_t size, uint64_t alignment, std::string_view what) const {
    void *p = r_->alloc_for != nullptr ? r_->alloc_for(r_->ctx, make_str(what), size, alignment)
                                       : r_->alloc(r_->ctx, size, alignment);
    if (p == nullptr)
      fail(WIO_ERR_INTERNAL,
           "cannot allocate " + std::to_string(size) + " bytes for " + std::string(what));
    return p;
  }
  void emit(const wio_tensor_out &t) const { check_host_status(r_->emit_tensor(r_->ctx, &t)); }
  // A string entry through the ABI-1 channel; value(key, text) is the same.
  void metadata(std::string_view key, std::string_view value) const {
    check_host_status(r_->emit_metadata(r_->ctx, make_str(key), make_str(value)));
  }
  void progress(uint64_t done, uint64_t total) const {
    check_host_status(r_->progress(r_->ctx, done, total));
  }

private:
  const wio_read_request *r_;
};

// The fields every tensor descriptor has; the builders below add their
// storage kind's own.
inline wio_tensor_out tensor_out(int32_t dtype, std::string_view name, const int64_t *shape,
                                 uint32_t ndim, int32_t storage, uint64_t nbytes) {
  wio_tensor_out t{};
  t.struct_size = sizeof(wio_tensor_out);
  t.dtype = dtype;
  t.name = make_str(name);
  t.ndim = ndim;
  t.shape = shape;
  t.storage = storage;
  t.nbytes = nbytes;
  return t;
}

inline wio_tensor_out mapped_tensor(int32_t dtype, std::string_view name, const int64_t *shape,
                                    uint32_t ndim, uint64_t offset, uint64_t nbytes) {
  wio_tensor_out t = tensor_out(dtype, name, shape, ndim, WIO_STORAGE_MAPPED, nbytes);
  t.offset = offset;
  return t;
}

// A tensor described without bytes, for a read with WIO_READ_DESCRIBE.
inline wio_tensor_out described_tensor(int32_t dtype, std::string_view name, const int64_t *shape,
                                       uint32_t ndim, uint64_t nbytes) {
  return tensor_out(dtype, name, shape, ndim, WIO_STORAGE_NONE, nbytes);
}

inline wio_tensor_out buffer_tensor(int32_t dtype, std::string_view name, const int64_t *shape,
                                    uint32_t ndim, void *buffer, uint64_t nbytes) {
  wio_tensor_out t = tensor_out(dtype, name, shape, ndim, WIO_STORAGE_BUFFER, nbytes);
  t.buffer = buffer;
  return t;
}

// ABI 3: declares the storage `t`'s bytes belong to: an id of the format's
// own (not 0; tensors giving one id share one storage) and the storage's
// byte range in the input. Returns `t`.
inline wio_tensor_out &in_storage(wio_tensor_out &t, uint64_t id, uint64_t offset, uint64_t size) {
  t.storage_id = id;
  t.storage_offset = offset;
  t.storage_size = size;
  return t;
}

// ABI 3: a tensor the host gathers from a storage (WIO_STORAGE_STRIDED):
// `shape` and `strides` (ndim each, in elements) and `element_offset` say
// where its elements lie; `nbytes` is the gathered size. Declare the
// storage with in_storage. Pointers are borrowed for the emit call.
inline wio_tensor_out strided_tensor(int32_t dtype, std::string_view name, const int64_t *shape,
                                     const int64_t *strides, uint32_t ndim, uint64_t element_offset,
                                     uint64_t nbytes) {
  wio_tensor_out t = tensor_out(dtype, name, shape, ndim, WIO_STORAGE_STRIDED, nbytes);
  t.strides = strides;
  t.element_offset = element_offset;
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
