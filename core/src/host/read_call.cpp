#include "host/read_call.hpp"

#include "host/c_value.hpp"
#include "host/decode_jobs.hpp"
#include "host/plugin_status.hpp"
#include "host/warning_list.hpp"
#include "registry/format_options.hpp"
#include "support/log_internal.hpp"

#include <weightio/dtype_info.hpp>
#include <weightio/error.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <unordered_map>

namespace weightio::detail {

namespace {

// A tensor name as messages show it: quoted, control bytes escaped (a name
// from a file could repaint a terminal), cut after 256 bytes.
std::string shown_name(std::string_view name) {
  constexpr size_t kMax = 256;
  size_t cut = std::min(name.size(), kMax);
  while (cut < name.size() && cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80)
    --cut; // not inside a UTF-8 sequence
  std::string out = "'";
  for (const unsigned char c : name.substr(0, cut)) {
    if (c < 0x20 || c == 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (cut < name.size())
    out += "... (" + std::to_string(name.size()) + " bytes)";
  return out + "'";
}

// Keeps the input bytes and the plugin library alive for mapped tensors.
struct MappedOwner {
  std::shared_ptr<const void> input;
  std::shared_ptr<PluginLibrary> plugin;
};

// The host's side of one read: the callbacks a reader calls, checking
// everything it hands back rather than trusting it.
class ReadSession {
public:
  ReadSession(const InputBytes &in, const LoadOptions &o, const ResolvedFormat &fmt,
              std::string file, const MutableParams *into)
      : in_(in), o_(o), fmt_(fmt), file_(std::move(file)), into_(into), warnings_(file_) {
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
        missing += (missing.empty() ? "'" : ", '") + name + "'";
    if (!missing.empty())
      throw Error(ErrorCode::InvalidArgument,
                  "cannot load '" + file_ + "': it has no tensor named " + missing, file_);
    return std::move(out_);
  }

private:
  [[noreturn]] void fail(const std::string &what, const std::string &tensor = {}) {
    throw PluginError(ErrorCode::Plugin,
                      "cannot load '" + file_ + "': the " + fmt_.format->info.name + " plugin " +
                          what + " " + fmt_.plugin->label(),
                      file_, tensor);
  }

  // Runs the deferred work (decodes, checks, copies, reads) on the pool and
  // throws the earliest failure, or the ready callback's exception.
  void run_jobs() {
    if (!jobs_.empty()) {
      DecodeInput di;
      di.format = fmt_.format->c;
      di.data = in_.data;
      di.size = in_.size;
      di.options = c_.options;
      di.option_count = c_.option_count;
      di.release_source = in_.read_ranges;
      std::function<void(size_t)> ready;
      if (o_.on_ready)
        ready = [this](size_t i) { notify(i); };
      const DecodeFailure f = run_decodes(jobs_, di, c_.threads, ready);
      if (f.status != WIO_OK) {
        const std::string name = jobs_[f.job].name;
        const bool check = jobs_[f.job].kind == JobKind::Check;
        jobs_.clear();
        if (f.host)
          throw IoError(ErrorCode::Io,
                        "cannot load '" + file_ + "': tensor " + shown_name(name) + ": " +
                            f.message,
                        file_, name);
        // A check's message is the reader's, as if the reader had failed.
        const std::string msg = check ? f.message : "tensor " + shown_name(name) + ": " + f.message;
        throw_plugin_status(f.status, msg.c_str(), nullptr, file_, *fmt_.plugin, "load");
      }
      jobs_.clear();
    }
    if (ready_error_)
      std::rethrow_exception(ready_error_);
  }

  // Remembers a tensor for the ready callback; returns its index.
  size_t track(const std::string &name, const Tensor &t) {
    if (!o_.on_ready)
      return SIZE_MAX;
    ready_.emplace_back(name, t);
    return ready_.size() - 1;
  }

  void notify(size_t i) noexcept {
    if (i == SIZE_MAX || ready_failed_.load())
      return;
    try {
      o_.on_ready(ready_[i].first, ready_[i].second);
    } catch (...) {
      std::lock_guard lock(ready_mutex_);
      if (!ready_error_)
        ready_error_ = std::current_exception();
      ready_failed_ = true;
    }
  }

  // The caller's buffer for a tensor (load_weights_into), or nullptr.
  void *destination(const std::string &name, const Shape &shape, int32_t dtype,
                    const BlockType *block) const {
    if (into_ == nullptr)
      return nullptr;
    const MutableTensorView *d = into_->find(name);
    if (d == nullptr)
      return nullptr;
    const bool same =
        block ? d->block == block : d->block == nullptr && static_cast<int32_t>(d->dtype) == dtype;
    if (!same || d->shape != shape)
      throw MismatchError(ErrorCode::Mismatch,
                          "cannot load '" + file_ + "' into the model: tensor '" + name +
                              "' is not of the type and shape its description gave (did the "
                              "file change during the load?)",
                          file_, name);
    return d->data;
  }

  // A tensor whose bytes are in the input: a view when it is aligned and no
  // copy is asked for, else a copy (or a ranged read) into a buffer of its
  // own or the caller's, on the pool; `checked` adds the format's check.
  void place_input_bytes(const wio_tensor_out *t, const std::string &name,
                         const TensorView &at_input, const BlockType *block, uint64_t align,
                         bool checked) {
    const uint8_t *p = in_.data + t->offset;
    void *target = destination(name, at_input.shape(), t->dtype, block);
    auto view_of = [&](const void *q) {
      return block ? TensorView(block, at_input.shape(), q)
                   : TensorView(at_input.dtype(), at_input.shape(), q);
    };
    Tensor tensor;
    bool copy = true;
    if (target == nullptr && !in_.read_ranges && reinterpret_cast<uintptr_t>(p) % align == 0) {
      if (!mapped_owner_)
        mapped_owner_ = std::make_shared<MappedOwner>(MappedOwner{in_.keep_alive, fmt_.plugin});
      // A view into the input is never the tensor's to write: a map is
      // read-only and in-memory input may be the caller's const bytes.
      tensor = Tensor(at_input, mapped_owner_, in_.mapped, /*writable=*/false);
      copy = false;
    } else if (target == nullptr) {
      auto buf = allocate_aligned(t->nbytes, 64);
      target = buf.get();
      tensor = Tensor(view_of(target), std::move(buf));
    } else {
      tensor = caller_tensor(view_of(target));
    }
    const size_t idx = track(name, tensor);
    if (checked) {
      DecodeJob job = job_for(t, name, at_input.shape(), block, JobKind::Check, idx);
      job.source_size = t->nbytes;
      jobs_.push_back(std::move(job));
    }
    if (copy) {
      DecodeJob job = job_for(t, name, at_input.shape(), block,
                              in_.read_ranges ? JobKind::Pread : JobKind::Copy, idx);
      job.dest = target;
      job.src = p;
      job.fd = in_.fd;
      jobs_.push_back(std::move(job));
    }
    if (!checked && !copy)
      notify(idx);
    out_.emplace(name, std::move(tensor));
  }

  // A tensor over the caller's buffer (load_weights_into). The caller may
  // have lent less alignment than the type asks of a Tensor: it is then
  // described as its bytes.
  static Tensor caller_tensor(const TensorView &v) {
    const uint64_t align = v.block_type() ? v.block_type()->alignment : dtype_alignment(v.dtype());
    if (align > 1 && reinterpret_cast<uintptr_t>(v.data()) % align != 0)
      return Tensor(TensorView(DType::U8, {static_cast<int64_t>(v.nbytes())}, v.data()), nullptr);
    return Tensor(v, nullptr);
  }

  static DecodeJob job_for(const wio_tensor_out *t, const std::string &name, const Shape &shape,
                           const BlockType *block, JobKind kind, size_t tensor) {
    DecodeJob job;
    job.kind = kind;
    job.name = name;
    job.shape = shape;
    job.dtype = t->dtype;
    if (block)
      job.block_type = block->name;
    job.offset = t->offset;
    job.nbytes = t->nbytes;
    if (WIO_HAS_FIELD(t, wio_tensor_out, source_unit_bytes)) {
      job.source_size = t->source_size;
      job.tag = t->decode_tag;
      job.unit_bytes = t->unit_bytes;
      job.source_unit_bytes = t->source_unit_bytes;
    }
    if (WIO_HAS_FIELD(t, wio_tensor_out, split_check))
      job.split_check = t->split_check != 0;
    job.tensor = tensor;
    return job;
  }

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

  // Whether `size` more bytes stay within LoadLimits::max_alloc_bytes
  // (allocated_ counts what was taken so far).
  bool fits_allocation(uint64_t size) const {
    const uint64_t cap = o_.limits.max_alloc_bytes;
    return cap == 0 || (size <= cap && allocated_ <= cap - size);
  }

  static void *alloc_cb(void *ctx, uint64_t size, uint64_t alignment) {
    auto *self = static_cast<ReadSession *>(ctx);
    try {
      if (!self->fits_allocation(size)) {
        log()->warn("'{}': reader asked for {} bytes, over the {}-byte allocation limit",
                    self->file_, size, self->o_.limits.max_alloc_bytes);
        return nullptr;
      }
      if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > 4096)
        return nullptr;
      auto block = allocate_aligned(size, std::max<uint64_t>(alignment, 64));
      void *p = block.get();
      self->blocks_.emplace(p, Block{std::move(block), size});
      self->allocated_ += size;
      return p;
    } catch (...) {
      return nullptr; // out of memory: the plugin reports it
    }
  }

  // For load_weights_into, the caller's own buffer when it fits: the reader
  // then writes (or its decode fills) the final bytes directly.
  static void *alloc_for_cb(void *ctx, wio_str tensor, uint64_t size, uint64_t alignment) {
    auto *self = static_cast<ReadSession *>(ctx);
    try {
      if (self->into_ != nullptr && (tensor.data != nullptr || tensor.size == 0)) {
        const MutableTensorView *d =
            self->into_->find(std::string(tensor.data ? tensor.data : "", tensor.size));
        if (d != nullptr && d->data != nullptr && alignment != 0 &&
            reinterpret_cast<uintptr_t>(d->data) % alignment == 0 &&
            (d->block ? shape_nbytes(*d->block, d->shape) : shape_nbytes(d->dtype, d->shape)) ==
                size &&
            !self->blocks_.contains(d->data)) {
          // Not the host's to free: an owner that does nothing.
          self->blocks_.emplace(d->data,
                                Block{std::shared_ptr<void>(d->data, [](void *) {}), size});
          return d->data;
        }
      }
    } catch (...) { // a bad destination: the host's own memory, checked later
    }
    return alloc_cb(ctx, size, alignment);
  }

  static void warn_cb(void *ctx, wio_str message) {
    static_cast<ReadSession *>(ctx)->warnings_.add(message);
  }

  static int32_t value_cb(void *ctx, wio_str key, const wio_value *value) {
    return guarded(ctx, [&](ReadSession &s) {
      if ((key.data == nullptr && key.size != 0) || value == nullptr)
        s.fail("emitted a metadata value with a null key or value");
      std::string k(key.data ? key.data : "", key.size);
      Value v;
      try {
        v = value_from_c(*value);
      } catch (const std::invalid_argument &e) {
        s.fail("emitted metadata value '" + k + "' that is invalid: " + e.what());
      }
      s.add_metadata(std::move(k), std::move(v));
    });
  }

  void add_metadata(std::string key, Value value) {
    if (out_.metadata.contains(key))
      throw FormatError(ErrorCode::InvalidFile,
                        "cannot load '" + file_ + "': metadata key '" + key + "' appears twice",
                        file_);
    out_.metadata.emplace(std::move(key), std::move(value));
  }

  // The block type a tensor names: one its format declared.
  const BlockType *declared_block(const wio_tensor_out *t, const std::string &name) {
    if (!WIO_HAS_FIELD(t, wio_tensor_out, block_type))
      fail("returned tensor '" + name + "' of a block type in an ABI-1 descriptor", name);
    const std::string_view bt(t->block_type.data ? t->block_type.data : "", t->block_type.size);
    for (const BlockType *b : fmt_.format->info.block_types)
      if (b->name == bt)
        return b;
    fail("returned tensor '" + name + "' of block type '" + std::string(bt) +
             "', which it did not declare",
         name);
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
    if (t == nullptr || t->struct_size < offsetof(wio_tensor_out, nbytes) + sizeof(uint64_t))
      fail("emitted a tensor descriptor that is too small");
    if (t->name.data == nullptr && t->name.size != 0)
      fail("emitted a tensor with a null name");
    // Checked before the copy: the size is the plugin's word, not the host's.
    if (limits_.max_name_bytes && t->name.size > limits_.max_name_bytes)
      throw FormatError(ErrorCode::InvalidFile,
                        "cannot load '" + file_ + "': a tensor name is " +
                            std::to_string(t->name.size) + " bytes, over the limit of " +
                            std::to_string(limits_.max_name_bytes),
                        file_);
    std::string name(t->name.data ? t->name.data : "", t->name.size);
    const BlockType *block = nullptr;
    if (t->dtype == WIO_DTYPE_BLOCK)
      block = declared_block(t, name);
    else if (!dtype_valid(t->dtype))
      fail("returned tensor '" + name + "' with an invalid dtype value " + std::to_string(t->dtype),
           name);
    if (t->ndim > 0 && t->shape == nullptr)
      fail("returned tensor '" + name + "' with a null shape", name);
    if (limits_.max_ndim && t->ndim > limits_.max_ndim)
      throw FormatError(ErrorCode::InvalidFile,
                        "cannot load '" + file_ + "': tensor '" + name + "' has " +
                            std::to_string(t->ndim) + " dimensions, over the limit of " +
                            std::to_string(limits_.max_ndim),
                        file_, name);
    if (limits_.max_tensors && out_.size() >= limits_.max_tensors)
      throw FormatError(ErrorCode::InvalidFile,
                        "cannot load '" + file_ + "': more than " +
                            std::to_string(limits_.max_tensors) + " tensors (the limit)",
                        file_);
    Shape shape(t->shape, t->shape + t->ndim);
    uint64_t nbytes = 0;
    try {
      nbytes =
          block ? shape_nbytes(*block, shape) : shape_nbytes(static_cast<DType>(t->dtype), shape);
    } catch (const Error &e) {
      throw FormatError(ErrorCode::InvalidFile,
                        "cannot load '" + file_ + "': tensor '" + name + "': " + e.what(), file_,
                        name);
    }
    if (nbytes != t->nbytes)
      fail("returned tensor '" + name + "' whose shape does not match its " +
               std::to_string(t->nbytes) + " bytes",
           name);
    const DType dtype = static_cast<DType>(t->dtype);
    auto make_view = [&](const void *p) {
      return block ? TensorView(block, shape, p) : TensorView(dtype, shape, p);
    };
    const uint64_t align = block ? block->alignment : dtype_alignment(dtype);
    if (o_.describe_only) {
      describe(t, name, make_view(in_.data));
      return;
    }
    if (t->storage == WIO_STORAGE_NONE)
      fail("returned tensor '" + name + "' without bytes to a load that wants them", name);
    if (WIO_HAS_FIELD(t, wio_tensor_out, source_unit_bytes) && t->storage == WIO_STORAGE_DECODE) {
      defer_decode(t, name, shape, block);
      return;
    }

    const bool checked = t->storage == WIO_STORAGE_CHECKED;
    if (checked && !(WIO_HAS_FIELD(t, wio_tensor_out, source_unit_bytes) && deferring()))
      fail("returned tensor '" + name + "' with an unknown storage kind", name);
    if (checked && !fmt_.format->info.decodes)
      fail("returned tensor '" + name + "' to check but has no decode function", name);
    if (checked && WIO_HAS_FIELD(t, wio_tensor_out, split_check) && t->split_check != 0 &&
        (t->unit_bytes == 0 || t->unit_bytes != t->source_unit_bytes ||
         t->nbytes % t->unit_bytes != 0))
      fail("returned tensor '" + name + "' whose check units do not divide it", name);
    if (t->storage == WIO_STORAGE_MAPPED || checked) {
      if (t->offset > in_.size || t->nbytes > in_.size - t->offset)
        fail("returned tensor '" + name + "' pointing outside the file", name);
      if (!wanted(name))
        return;
      place_input_bytes(t, name, make_view(in_.data + t->offset), block, align, checked);
      return;
    }
    if (t->storage != WIO_STORAGE_BUFFER)
      fail("returned tensor '" + name + "' with an unknown storage kind", name);
    auto it = blocks_.find(t->buffer);
    if (it == blocks_.end())
      fail("returned tensor '" + name + "' in a buffer the host did not allocate", name);
    if (it->second.size < t->nbytes)
      fail("returned tensor '" + name + "' larger than its buffer", name);
    auto buf = std::move(it->second.owner);
    blocks_.erase(it);
    if (!wanted(name))
      return;
    void *data = buf.get(); // before buf is moved from
    void *target = destination(name, shape, t->dtype, block);
    Tensor tensor;
    size_t idx = SIZE_MAX;
    if (target != nullptr && target != data) {
      tensor = caller_tensor(make_view(target));
      idx = track(name, tensor);
      DecodeJob job = job_for(t, name, shape, block, JobKind::Copy, idx);
      job.src = static_cast<const uint8_t *>(data);
      job.dest = target;
      jobs_.push_back(std::move(job));
      kept_.push_back(std::move(buf)); // the copy's source, until the jobs ran
    } else {
      tensor = Tensor(make_view(data), std::move(buf));
      notify(idx = track(name, tensor));
    }
    out_.emplace(name, std::move(tensor));
  }

  bool deferring() const { return (c_.flags & WIO_READ_DEFER) != 0; }

  // describe_only: the tensor's description, whatever storage the reader
  // chose (a reader that ignores WIO_READ_DESCRIBE did its usual work).
  void describe(const wio_tensor_out *t, const std::string &name, const TensorView &view) {
    if (t->storage == WIO_STORAGE_MAPPED &&
        (t->offset > in_.size || t->nbytes > in_.size - t->offset))
      fail("returned tensor '" + name + "' pointing outside the file", name);
    if (t->storage == WIO_STORAGE_BUFFER) {
      auto it = blocks_.find(t->buffer);
      if (it == blocks_.end())
        fail("returned tensor '" + name + "' in a buffer the host did not allocate", name);
      blocks_.erase(it);
    } else if (t->storage != WIO_STORAGE_MAPPED && t->storage != WIO_STORAGE_NONE &&
               t->storage != WIO_STORAGE_DECODE && t->storage != WIO_STORAGE_CHECKED) {
      fail("returned tensor '" + name + "' with an unknown storage kind", name);
    }
    if (!wanted(name))
      return;
    Tensor tensor(view.without_data(), nullptr);
    notify(track(name, tensor));
    out_.emplace(name, std::move(tensor));
  }

  void defer_decode(const wio_tensor_out *t, const std::string &name, const Shape &shape,
                    const BlockType *block) {
    if (!fmt_.format->info.decodes)
      fail("returned tensor '" + name + "' to decode but has no decode function", name);
    if (t->offset > in_.size || t->source_size > in_.size - t->offset)
      fail("returned tensor '" + name + "' to decode from outside the file", name);
    if (t->unit_bytes != 0 && (t->nbytes % t->unit_bytes != 0 || t->source_unit_bytes == 0 ||
                               t->source_size / t->source_unit_bytes < t->nbytes / t->unit_bytes))
      fail("returned tensor '" + name + "' whose decode units do not divide it", name);
    if (!wanted(name))
      return;
    void *target = destination(name, shape, t->dtype, block);
    std::shared_ptr<void> owner;
    if (t->buffer != nullptr && deferring()) {
      // The reader reserved the memory (under the host's limit); the
      // decode fills it, unless the caller's buffer takes the bytes.
      auto it = blocks_.find(t->buffer);
      if (it == blocks_.end())
        fail("returned tensor '" + name + "' in a buffer the host did not allocate", name);
      if (it->second.size < t->nbytes)
        fail("returned tensor '" + name + "' larger than its buffer", name);
      owner = std::move(it->second.owner);
      blocks_.erase(it);
      if (target != nullptr)
        owner.reset();
      else
        target = owner.get();
    }
    Tensor tensor;
    if (target == nullptr) {
      // The decode's output may be many times its source (a dequantized
      // tensor): it counts against the limit as a reader's buffer would.
      if (!fits_allocation(t->nbytes))
        throw Error(ErrorCode::Internal,
                    "cannot load '" + file_ + "': tensor " + shown_name(name) + " needs " +
                        std::to_string(t->nbytes) + " bytes, over what is left of the " +
                        std::to_string(o_.limits.max_alloc_bytes) +
                        "-byte allocation limit (max_alloc_bytes)",
                    file_, name);
      owner = allocate_aligned(t->nbytes, 64);
      target = owner.get();
      allocated_ += t->nbytes;
    }
    const void *data = target;
    const TensorView view = block ? TensorView(block, shape, data)
                                  : TensorView(static_cast<DType>(t->dtype), shape, data);
    tensor = owner ? Tensor(view, std::move(owner)) : caller_tensor(view);
    DecodeJob job = job_for(t, name, shape, block, JobKind::Decode, track(name, tensor));
    job.dest = target;
    jobs_.push_back(std::move(job));
    out_.emplace(name, std::move(tensor));
  }

  bool wanted(const std::string &name) {
    if (out_.contains(name))
      throw FormatError(ErrorCode::InvalidFile,
                        "cannot load '" + file_ + "': the tensor name '" + name + "' appears twice",
                        file_, name);
    return o_.only.empty() || o_.only.count(name) != 0;
  }

  static int32_t metadata_cb(void *ctx, wio_str key, wio_str value) {
    return guarded(ctx, [&](ReadSession &s) {
      // A null pointer with a length would make the copy read past "".
      if ((key.data == nullptr && key.size != 0) || (value.data == nullptr && value.size != 0))
        s.fail("emitted metadata with a null string");
      std::string k(key.data ? key.data : "", key.size),
          v(value.data ? value.data : "", value.size);
      s.add_metadata(std::move(k), Value(std::move(v)));
    });
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

  struct Block {
    std::shared_ptr<void> owner;
    uint64_t size;
  };

  const InputBytes &in_;
  const LoadOptions &o_;
  const ResolvedFormat &fmt_;
  std::string file_;
  const MutableParams *into_;
  wio_read_limits limits_{};
  wio_read_request c_{};
  Weights out_;
  std::unordered_map<void *, Block> blocks_;
  uint64_t allocated_ = 0;
  std::shared_ptr<MappedOwner> mapped_owner_;
  std::exception_ptr error_;
  WarningList warnings_;
  OptionList option_text_;
  std::vector<wio_kv> options_;
  std::vector<DecodeJob> jobs_;
  std::vector<std::shared_ptr<void>> kept_; // sources of pending copies
  bool cancelled_ = false;
  bool emitted_any_ = false;
  uint64_t released_ = 0;       // input bytes release_header has let go of
  uint64_t total_ = 0;          // the reader's progress total, once it gave one
  bool total_reported_ = false; // done == total went to the caller
  // The ready callback's tensors, and its first exception.
  std::vector<std::pair<std::string, Tensor>> ready_;
  std::mutex ready_mutex_;
  std::atomic<bool> ready_failed_{false};
  std::exception_ptr ready_error_;
};

} // namespace

Weights call_read(const InputBytes &in, const LoadOptions &o, const ResolvedFormat &fmt,
                  std::string file, const MutableParams *into) {
  return ReadSession(in, o, fmt, std::move(file), into).run();
}

} // namespace weightio::detail
