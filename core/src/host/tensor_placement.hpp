// Where a loaded tensor's bytes go, once its descriptor passed the checks:
// a view into the input when the load maps it and it is aligned; else an
// aligned buffer of its own, filled by a copy or a ranged read of the file
// (read_into_memory), or gathered from a storage by strides; or the
// caller's buffer (load_weights_into). A
// reader's buffer is handed over as it is, and a deferred decode writes
// into a buffer counted against the allocation limit. What can't be done
// while the reader runs becomes a job (copy, pread, check, decode) that
// run() does on the load's threads. Each tensor goes to on_ready once its
// bytes are final.
#pragma once

#include "host/alloc_budget.hpp"
#include "host/decode_jobs.hpp"
#include "host/descriptor_checks.hpp"
#include "host/ready_notifier.hpp"
#include "host/storage_checks.hpp"
#include "io/input_file.hpp"
#include "registry/registry_internal.hpp"

#include <weightio/io.hpp>
#include <weightio/plugin_abi.h>
#include <weightio/tensor.hpp>

#include <memory>
#include <string>
#include <vector>

namespace weightio::detail {

class TensorPlacement {
public:
  // `file` names the input in messages; `into`: the caller's buffers
  // (load_weights_into), or null. The rest is referenced, not copied.
  TensorPlacement(const InputBytes &in, const ResolvedFormat &fmt, std::string file,
                  const MutableParams *into, const DescriptorChecks &checks, AllocBudget &budget,
                  ReadyNotifier &ready)
      : in_(in), fmt_(fmt), file_(std::move(file)), into_(into), checks_(checks), budget_(budget),
        ready_(ready) {}

  // MAPPED or CHECKED: the bytes at t->offset of the input (inside it);
  // `checked` adds the format's check before the tensor counts as ready.
  // `swap`: the width of the numbers to byte-swap (0 = none; then copied).
  Tensor from_input(const wio_tensor_out *t, const CheckedTensor &c, bool checked,
                    uint32_t swap = 0);

  // STRIDED: the elements `source` names, gathered in C order (and swapped
  // in `swap`-byte numbers) into a buffer of its own or the caller's.
  Tensor gathered(const wio_tensor_out *t, const CheckedTensor &c, const StridedSource &source,
                  uint32_t swap);

  // BUFFER: the reader's block, taken back from the budget.
  Tensor from_buffer(const wio_tensor_out *t, const CheckedTensor &c, std::shared_ptr<void> buffer);

  // DECODE: the output of the format's decode, run later.
  Tensor decoded(const wio_tensor_out *t, const CheckedTensor &c);

  // describe_only: the description without bytes.
  Tensor described(const CheckedTensor &c, const TensorView &view);

  // Runs the jobs on up to `threads` threads; `options` are the reader's,
  // for the format's decode. Throws the earliest failure in file order (an
  // IoError for the host's own read, else as the reader would have), or
  // on_ready's exception.
  void run(const wio_kv *options, size_t option_count, unsigned threads);

private:
  void *destination(const wio_tensor_out *t, const CheckedTensor &c) const;
  Tensor mapped(const TensorView &at_input);

  const InputBytes &in_;
  const ResolvedFormat &fmt_;
  std::string file_;
  const MutableParams *into_;
  const DescriptorChecks &checks_;
  AllocBudget &budget_;
  ReadyNotifier &ready_;
  std::shared_ptr<const void> mapped_owner_; // the input and plugin, for views
  std::vector<DecodeJob> jobs_;
  std::vector<std::shared_ptr<void>> kept_; // sources of pending copies
};

} // namespace weightio::detail
