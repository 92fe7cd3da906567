#include "host/tensor_placement.hpp"

#include "support/limit_text.hpp"

#include <weightio/quoted.hpp>

#include "host/plugin_status.hpp"
#include "model/tensor_internals.hpp"

#include <weightio/error.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>

namespace weightio::detail {

namespace {

// Keeps the input bytes and the plugin library alive for mapped tensors.
struct MappedOwner {
  std::shared_ptr<const void> input;
  std::shared_ptr<PluginLibrary> plugin;
};

Tensor placed(Tensor t, Placement placement) {
  return TensorInternals::placed(std::move(t), placement);
}

// A tensor over the caller's buffer (load_weights_into). The caller may
// have lent less alignment than the type asks of a Tensor: it is then
// described as its bytes.
Tensor caller_tensor(const TensorView &v, Placement placement) {
  const uint64_t align = v.block_type() ? v.block_type()->alignment : dtype_alignment(v.dtype());
  if (align > 1 && reinterpret_cast<uintptr_t>(v.data()) % align != 0)
    return placed(
        Tensor(TensorView(DType::U8, {static_cast<int64_t>(v.nbytes())}, v.data()), nullptr),
        placement);
  return placed(Tensor(v, nullptr), placement);
}

DecodeJob job_for(const wio_tensor_out *t, const CheckedTensor &c, JobKind kind, size_t tensor) {
  DecodeJob job;
  job.kind = kind;
  job.name = c.name;
  job.shape = c.shape;
  job.dtype = t->dtype;
  if (c.block)
    job.block_type = c.block->name;
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

} // namespace

// The caller's buffer for a tensor (load_weights_into), or nullptr.
void *TensorPlacement::destination(const wio_tensor_out *t, const CheckedTensor &c) const {
  if (into_ == nullptr)
    return nullptr;
  const MutableTensorView *d = into_->find(c.name);
  if (d == nullptr)
    return nullptr;
  const bool same = c.block ? d->block == c.block
                            : d->block == nullptr && static_cast<int32_t>(d->dtype) == t->dtype;
  if (!same || d->shape != c.shape)
    throw MismatchError(ErrorCode::Mismatch,
                        "cannot load '" + file_ + "' into the model: tensor " +
                            sdk::quoted(c.name) +
                            " is not of the type and shape its description gave (did the "
                            "file change during the load?)",
                        file_, c.name);
  return d->data;
}

Tensor TensorPlacement::mapped(const TensorView &at_input) {
  if (!mapped_owner_)
    mapped_owner_ = std::make_shared<MappedOwner>(MappedOwner{in_.keep_alive, fmt_.plugin});
  // A view into the input is never the tensor's to write: a map is
  // read-only and in-memory input may be the caller's const bytes.
  return placed(Tensor(at_input, mapped_owner_, in_.mapped, /*writable=*/false),
                in_.copied ? Placement::copied : Placement::mapped);
}

// A view when the input is mapped, aligned and no copy is asked for, else a
// copy (or a ranged read) into a buffer of its own or the caller's.
Tensor TensorPlacement::from_input(const wio_tensor_out *t, const CheckedTensor &c, bool checked,
                                   uint32_t swap) {
  const uint8_t *p = in_.data + t->offset;
  const TensorView at_input = c.view(p);
  void *target = destination(t, c);
  const uint64_t align = c.block ? c.block->alignment : dtype_alignment(c.dtype);
  Tensor tensor;
  bool copy = true;
  if (target == nullptr && !in_.read_ranges && swap == 0 &&
      reinterpret_cast<uintptr_t>(p) % align == 0) {
    tensor = mapped(at_input);
    copy = false;
  } else if (target == nullptr) {
    auto buf = allocate_aligned(t->nbytes, 64);
    target = buf.get();
    // Swapped bytes are the host's making from the file's, as a format's
    // decode of a big-endian file would be.
    tensor = placed(Tensor(c.view(target), std::move(buf)),
                    swap != 0 ? Placement::decoded : Placement::copied);
  } else {
    tensor = caller_tensor(c.view(target), swap != 0 ? Placement::decoded : Placement::copied);
  }
  const size_t idx = ready_.track(c.name, tensor);
  if (checked) {
    DecodeJob job = job_for(t, c, JobKind::Check, idx);
    job.source_size = t->nbytes;
    jobs_.push_back(std::move(job));
  }
  if (copy) {
    DecodeJob job = job_for(t, c, in_.read_ranges ? JobKind::Pread : JobKind::Copy, idx);
    job.dest = target;
    job.src = p;
    job.fd = in_.fd;
    job.swap = swap;
    jobs_.push_back(std::move(job));
  }
  if (!checked && !copy)
    ready_.notify(idx);
  return tensor;
}

Tensor TensorPlacement::gathered(const wio_tensor_out *t, const CheckedTensor &c,
                                 const StridedSource &source, uint32_t swap) {
  void *target = destination(t, c);
  Tensor tensor;
  if (target == nullptr) {
    auto buf = allocate_aligned(t->nbytes, 64);
    target = buf.get();
    tensor = placed(Tensor(c.view(target), std::move(buf)), Placement::gathered);
  } else {
    tensor = caller_tensor(c.view(target), Placement::gathered);
  }
  DecodeJob job = job_for(t, c, JobKind::Gather, ready_.track(c.name, tensor));
  job.offset = source.storage_offset;
  job.src = in_.data + source.storage_offset; // read_into_memory too: the map is the way in
  job.dest = target;
  job.strides = source.strides;
  job.element_offset = source.element_offset;
  job.element_bytes = source.element_bytes;
  job.swap = swap;
  jobs_.push_back(std::move(job));
  return tensor;
}

Tensor TensorPlacement::from_buffer(const wio_tensor_out *t, const CheckedTensor &c,
                                    std::shared_ptr<void> buffer) {
  void *data = buffer.get();
  void *target = destination(t, c);
  if (target != nullptr && target != data) {
    Tensor tensor = caller_tensor(c.view(target), Placement::decoded);
    DecodeJob job = job_for(t, c, JobKind::Copy, ready_.track(c.name, tensor));
    job.src = static_cast<const uint8_t *>(data);
    job.dest = target;
    jobs_.push_back(std::move(job));
    kept_.push_back(std::move(buffer)); // the copy's source, until the jobs ran
    return tensor;
  }
  // What the reader filled is the format's making, whatever it did.
  Tensor tensor = placed(Tensor(c.view(data), std::move(buffer)), Placement::decoded);
  ready_.notify(ready_.track(c.name, tensor));
  return tensor;
}

Tensor TensorPlacement::decoded(const wio_tensor_out *t, const CheckedTensor &c) {
  void *target = destination(t, c);
  // The reader reserved the memory (under the host's limit); the decode
  // fills it, unless the caller's buffer takes the bytes.
  std::shared_ptr<void> owner = checks_.reserved_buffer(t, c.name, budget_);
  if (target != nullptr)
    owner.reset();
  else if (owner)
    target = owner.get();
  if (target == nullptr) {
    // The decode's output may be many times its source (a dequantized
    // tensor): it counts against the limit as a reader's buffer would.
    if (!budget_.fits(t->nbytes))
      throw Error(ErrorCode::Internal,
                  "cannot load '" + file_ + "': tensor " + sdk::quoted(c.name) + " needs " +
                      std::to_string(t->nbytes) + " bytes of the allocation limit: " +
                      over_limit_text("allocated bytes", budget_.allocated() + t->nbytes,
                                      budget_.limit(), "max_alloc_bytes"),
                  file_, c.name, "max_alloc_bytes");
    owner = allocate_aligned(t->nbytes, 64);
    target = owner.get();
    budget_.charge(t->nbytes);
  }
  const TensorView view = c.view(target);
  Tensor tensor = owner ? placed(Tensor(view, std::move(owner)), Placement::decoded)
                        : caller_tensor(view, Placement::decoded);
  DecodeJob job = job_for(t, c, JobKind::Decode, ready_.track(c.name, tensor));
  job.dest = target;
  jobs_.push_back(std::move(job));
  return tensor;
}

Tensor TensorPlacement::described(const CheckedTensor &c, const TensorView &view) {
  Tensor tensor = placed(Tensor(view.without_data(), nullptr), Placement::none);
  ready_.notify(ready_.track(c.name, tensor));
  return tensor;
}

void TensorPlacement::run(const wio_kv *options, size_t option_count, unsigned threads) {
  if (!jobs_.empty()) {
    DecodeInput di;
    di.format = fmt_.format->c;
    di.data = in_.data;
    di.size = in_.size;
    di.options = options;
    di.option_count = option_count;
    di.release_source = in_.read_ranges;
    std::function<void(size_t)> ready;
    if (ready_.enabled())
      ready = [this](size_t i) { ready_.notify(i); };
    const DecodeFailure f = run_decodes(jobs_, di, threads, ready);
    if (f.status != WIO_OK) {
      const std::string name = jobs_[f.job].name;
      const bool check = jobs_[f.job].kind == JobKind::Check;
      jobs_.clear();
      if (f.host)
        throw IoError(ErrorCode::Io,
                      "cannot load '" + file_ + "': tensor " + sdk::quoted(name) + ": " + f.message,
                      file_, name);
      // A check's message is the reader's, as if the reader had failed.
      const std::string msg = check ? f.message : "tensor " + sdk::quoted(name) + ": " + f.message;
      throw_plugin_status(f.status, msg.c_str(), nullptr, file_, *fmt_.plugin, "load");
    }
    jobs_.clear();
  }
  ready_.rethrow();
}

} // namespace weightio::detail
