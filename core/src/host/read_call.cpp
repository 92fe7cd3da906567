#include "host/read_call.hpp"

#include "host/alloc_budget.hpp"
#include "host/c_value.hpp"
#include "host/decode_jobs.hpp"
#include "host/descriptor_checks.hpp"
#include "host/plugin_status.hpp"
#include "host/ready_notifier.hpp"
#include "host/storage_checks.hpp"
#include "host/tensor_placement.hpp"
#include "host/warning_list.hpp"
#include "model/tensor_internals.hpp"
#include "registry/format_options.hpp"

#include <weightio/error.hpp>
#include <weightio/quoted.hpp>

#include <algorithm>

namespace weightio::detail {

namespace {

// The host's side of one read: the request a reader gets and the callbacks
// it calls. What a callback is handed goes through DescriptorChecks before
// anything is kept; where the bytes go is TensorPlacement's, the reader's
// memory AllocBudget's, on_ready ReadyNotifier's.
class ReadSession {
public:
  ReadSession(const InputBytes &in, const LoadOptions &o, const ResolvedFormat &fmt,
              std::string file, const MutableParams *into)
      : in_(in), o_(o), fmt_(fmt), file_(std::move(file)), warnings_(file_),
        checks_(file_, fmt, c_), budget_(o.limits.max_alloc_bytes, file_, into), ready_(o.on_ready),
        placement_(in, fmt, file_, into, checks_, budget_, ready_) {
    limits_.struct_size = sizeof(wio_read_limits);
    limits_.max_header_bytes = o.limits.max_header_bytes;
    limits_.max_tensors = o.limits.max_tensors;
    limits_.max_ndim = o.limits.max_ndim;
    limits_.max_name_bytes = o.limits.max_name_bytes;
    c_.struct_size = sizeof(wio_read_request);
    c_.flags = (o.verify ? WIO_READ_VERIFY : 0) | (o.describe_only ? WIO_READ_DESCRIBE : 0) |
               WIO_READ_DEFER;
    c_.data = in.data;
    c_.size = in.size;
    c_.limits = &limits_;
    c_.ctx = this;
    c_.alloc = &alloc_cb;
    c_.wants = &wants_cb;
    c_.emit_tensor = &emit_cb;
    c_.emit_metadata = &metadata_cb;
    c_.progress = &progress_cb;
    option_text_ = resolve_options(fmt.format->info, o.format_options, /*save=*/false, file_);
    options_ = c_options(option_text_);
    c_.options = options_.empty() ? nullptr : options_.data();
    c_.option_count = options_.size();
    c_.threads = decode_threads(o.threads);
    c_.emit_value = &value_cb;
    c_.warn = &warn_cb;
    c_.alloc_for = &alloc_for_cb;
    c_.dequantize = dequantize_request(fmt.format->info, o.dequantize, file_);
    out_.format = fmt.format->info.name;
  }

  Weights run() {
    char error[kPluginErrorSize] = {};
    const int32_t st = fmt_.format->c->read(&c_, error, sizeof error);
    if (st != WIO_OK) {
      // What was emitted before the failure lies earlier in the file: its
      // checks come first, as they would for a reader that did them itself.
      if (st != WIO_ERR_CANCELLED && !cancelled_)
        run_jobs();
      throw_plugin_status(st, error, error_, file_, *fmt_.plugin, "load");
    }
    if (error_)
      std::rethrow_exception(error_);
    run_jobs();
    if (total_ != 0 && !total_reported_)
      report(total_, total_);
    out_.warnings = warnings_.take();
    std::string missing;
    for (const auto &name : o_.only)
      if (!out_.contains(name))
        missing += (missing.empty() ? "" : ", ") + sdk::quoted(name);
    if (!missing.empty())
      throw Error(ErrorCode::InvalidArgument,
                  "cannot load '" + file_ + "': it has no tensor named " + missing, file_);
    return std::move(out_);
  }

private:
  void run_jobs() { placement_.run(c_.options, c_.option_count, c_.threads); }

  // A callback's body: its exception is kept for run() to rethrow, and the
  // reader gets the matching status; after one, every callback refuses.
  template <class F> static int32_t guarded(void *ctx, F &&f) noexcept {
    auto *self = static_cast<ReadSession *>(ctx);
    if (self->error_)
      return WIO_ERR_INTERNAL;
    try {
      f(*self);
      return WIO_OK;
    } catch (...) {
      self->error_ = std::current_exception();
      return status_for(self->error_);
    }
  }

  static void *alloc_cb(void *ctx, uint64_t size, uint64_t alignment) {
    return static_cast<ReadSession *>(ctx)->budget_.alloc(size, alignment);
  }

  static void *alloc_for_cb(void *ctx, wio_str tensor, uint64_t size, uint64_t alignment) {
    return static_cast<ReadSession *>(ctx)->budget_.alloc_for(tensor, size, alignment);
  }

  static void warn_cb(void *ctx, wio_str message) {
    static_cast<ReadSession *>(ctx)->warnings_.add(message);
  }

  static int32_t value_cb(void *ctx, wio_str key, const wio_value *value) {
    return guarded(ctx, [&](ReadSession &s) {
      if ((key.data == nullptr && key.size != 0) || value == nullptr)
        s.checks_.fail("emitted a metadata value with a null key or value");
      std::string k(key.data ? key.data : "", key.size);
      Value v;
      try {
        v = value_from_c(*value);
      } catch (const std::invalid_argument &e) {
        s.checks_.fail("emitted metadata value " + sdk::quoted(k) +
                       " that is invalid: " + e.what());
      }
      s.add_metadata(std::move(k), std::move(v));
    });
  }

  static int32_t metadata_cb(void *ctx, wio_str key, wio_str value) {
    return guarded(ctx, [&](ReadSession &s) {
      // A null pointer with a length would make the copy read past "".
      if ((key.data == nullptr && key.size != 0) || (value.data == nullptr && value.size != 0))
        s.checks_.fail("emitted metadata with a null string");
      std::string k(key.data ? key.data : "", key.size),
          v(value.data ? value.data : "", value.size);
      s.add_metadata(std::move(k), Value(std::move(v)));
    });
  }

  void add_metadata(std::string key, Value value) {
    if (out_.metadata.contains(key))
      throw FormatError(ErrorCode::InvalidFile,
                        "cannot load '" + file_ + "': metadata key " + sdk::quoted(key) +
                            " appears twice",
                        file_);
    out_.metadata.emplace(std::move(key), std::move(value));
  }

  static int32_t wants_cb(void *ctx, wio_str name) noexcept {
    auto *self = static_cast<ReadSession *>(ctx);
    if (self->o_.only.empty())
      return 1;
    if (name.data == nullptr && name.size != 0)
      return 0; // the emit that follows reports the bad name
    try {
      return self->o_.only.count(std::string(name.data, name.size)) ? 1 : 0;
    } catch (...) {
      return 1; // out of memory: decode it; emit applies the filter again
    }
  }

  static int32_t emit_cb(void *ctx, const wio_tensor_out *t) {
    return guarded(ctx, [t](ReadSession &s) { s.emit(t); });
  }

  void emit(const wio_tensor_out *t) {
    emitted_any_ = true;
    const CheckedTensor c = checks_.described(t, out_.size());
    checks_.storage_known(t, c.name);
    const uint64_t storage = storages_.declared(t, c.name, in_.size);
    const uint32_t swap = storages_.swap_width(t, c);
    if (Tensor *kept = placed(t, c, swap))
      TensorInternals::set_storage(*kept, storage);
  }

  // The tensor, placed as its storage kind says; null when not wanted.
  Tensor *placed(const wio_tensor_out *t, const CheckedTensor &c, uint32_t swap) {
    const std::string &name = c.name;
    if (o_.describe_only)
      return describe(t, c, c.view(in_.data));
    switch (t->storage) {
    case WIO_STORAGE_NONE:
      checks_.fail("returned tensor " + sdk::quoted(name) +
                       " without bytes to a load that wants them",
                   name);
    case WIO_STORAGE_DECODE:
      checks_.decodable(t, name);
      return wanted(name) ? keep(name, placement_.decoded(t, c)) : nullptr;
    case WIO_STORAGE_MAPPED:
    case WIO_STORAGE_CHECKED: {
      const bool checked = t->storage == WIO_STORAGE_CHECKED;
      if (checked)
        checks_.checkable(t, name);
      checks_.inside_input(t, name);
      return wanted(name) ? keep(name, placement_.from_input(t, c, checked, swap)) : nullptr;
    }
    case WIO_STORAGE_STRIDED: {
      const StridedSource source = storages_.strided(t, c);
      return wanted(name) ? keep(name, placement_.gathered(t, c, source, swap)) : nullptr;
    }
    default: { // WIO_STORAGE_BUFFER
      auto buffer = checks_.taken_buffer(t, name, budget_, t->nbytes);
      return wanted(name) ? keep(name, placement_.from_buffer(t, c, std::move(buffer))) : nullptr;
    }
    }
  }

  Tensor *keep(const std::string &name, Tensor tensor) {
    return &out_.emplace(name, std::move(tensor));
  }

  // describe_only: the tensor's description, whatever storage the reader
  // chose (a reader that ignores WIO_READ_DESCRIBE did its usual work,
  // whose bytes are dropped).
  Tensor *describe(const wio_tensor_out *t, const CheckedTensor &c, const TensorView &view) {
    if (t->storage == WIO_STORAGE_MAPPED)
      checks_.inside_input(t, c.name);
    if (t->storage == WIO_STORAGE_BUFFER)
      checks_.taken_buffer(t, c.name, budget_, 0);
    if (t->storage == WIO_STORAGE_STRIDED)
      storages_.strided(t, c);
    return wanted(c.name) ? keep(c.name, placement_.described(c, view)) : nullptr;
  }

  bool wanted(const std::string &name) {
    if (out_.contains(name))
      throw FormatError(ErrorCode::InvalidFile,
                        "cannot load '" + file_ + "': the tensor name " + sdk::quoted(name) +
                            " appears twice",
                        file_, name);
    return o_.only.empty() || o_.only.count(name) != 0;
  }

  static int32_t progress_cb(void *ctx, uint64_t done, uint64_t total) {
    return guarded(ctx, [&](ReadSession &s) {
      s.release_header(done);
      // "All done" comes once, last, when the work the reader deferred is
      // done too (run()), also from a reader that never reports it (npz
      // ends at its last member, before the directory).
      if (total != 0)
        s.total_ = total;
      if (s.deferring() && total != 0 && done >= total)
        return;
      s.report(done, total);
      s.total_reported_ = total != 0 && done >= total;
    });
  }

  bool deferring() const { return (c_.flags & WIO_READ_DEFER) != 0; }

  void report(uint64_t done, uint64_t total) {
    if (o_.progress && !o_.progress(done, total)) {
      cancelled_ = true;
      throw Error(ErrorCode::Cancelled, "load of '" + file_ + "' cancelled", file_);
    }
  }

  // What a reader reports as done before its first tensor is the header it
  // parsed into descriptors: its pages leave the mapping, so the load's peak
  // holds the header or what was built from it, not both (a million-tensor
  // safetensors header is most of its file). Dropping a read-only file
  // mapping's pages loses nothing: a later read faults them back in from
  // the page cache. Buffers (read_into_memory) are left alone.
  void release_header(uint64_t done) {
    if (!in_.mapped || emitted_any_ || done <= released_)
      return;
    released_ = std::min(done, in_.size);
    release_pages(in_.data, released_);
  }

  const InputBytes &in_;
  const LoadOptions &o_;
  const ResolvedFormat &fmt_;
  std::string file_;
  wio_read_limits limits_{};
  wio_read_request c_{};
  Weights out_;
  std::exception_ptr error_;
  WarningList warnings_;
  OptionList option_text_;
  std::vector<wio_kv> options_;
  DescriptorChecks checks_;
  StorageTable storages_{checks_};
  AllocBudget budget_;
  ReadyNotifier ready_;
  TensorPlacement placement_;
  bool cancelled_ = false;
  bool emitted_any_ = false;
  uint64_t released_ = 0;       // input bytes release_header has let go of
  uint64_t total_ = 0;          // the reader's progress total, once it gave one
  bool total_reported_ = false; // done == total went to the caller
};

} // namespace

Weights call_read(const InputBytes &in, const LoadOptions &o, const ResolvedFormat &fmt,
                  std::string file, const MutableParams *into) {
  return ReadSession(in, o, fmt, std::move(file), into).run();
}

} // namespace weightio::detail
