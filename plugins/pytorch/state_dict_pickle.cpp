#include "state_dict_pickle.hpp"

#include "pickle_writer.hpp"
#include "torch_dtypes.hpp"

#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace weightio::pytorch {
namespace {

// One tensor's value: Tensor.__reduce_ex__ (torch/_tensor.py) for a plain
// CPU tensor, with its storage persisted by torch.serialization's
// persistent_id.
void write_tensor(PickleWriter &p, const wio_tensor_in &t, size_t key) {
  p.global("torch._utils", "_rebuild_tensor_v2");
  p.begin_tuple(6);
  {
    p.begin_tuple(5);
    // 'storage' and 'cpu' are one object each in torch (a literal, and the
    // location string), so the pickler memoizes them once.
    p.shared_text("storage");
    p.global("torch", storage_class_of(static_cast<wio_dtype>(t.dtype)));
    p.text(std::to_string(key));
    p.shared_text("cpu");
    uint64_t numel = 1;
    for (uint32_t d = 0; d < t.ndim; ++d)
      numel *= static_cast<uint64_t>(t.shape[d]);
    p.integer(numel);
    p.end_tuple(5);
    p.persistent_id();
  }
  p.integer(0); // storage_offset
  p.begin_tuple(t.ndim);
  for (uint32_t d = 0; d < t.ndim; ++d)
    p.integer(static_cast<uint64_t>(t.shape[d]));
  p.end_tuple(t.ndim);
  // C-contiguous strides as torch computes them: a dimension of size 0
  // counts as 1, so shape (4, 0) has strides (1, 1).
  std::vector<uint64_t> stride(t.ndim);
  uint64_t step = 1;
  for (uint32_t d = t.ndim; d-- > 0;) {
    stride[d] = step;
    step *= std::max<uint64_t>(static_cast<uint64_t>(t.shape[d]), 1);
  }
  p.begin_tuple(t.ndim);
  for (const uint64_t s : stride)
    p.integer(s);
  p.end_tuple(t.ndim);
  p.boolean(false); // requires_grad
  // backward_hooks: an empty OrderedDict.
  p.global("collections", "OrderedDict");
  p.begin_tuple(0);
  p.end_tuple(0);
  p.reduce();
  p.end_tuple(6);
  p.reduce();
}

} // namespace

std::string state_dict_pickle(const wio_write_request &r) {
  PickleWriter p;
  p.global("collections", "OrderedDict");
  p.begin_tuple(0);
  p.end_tuple(0);
  p.reduce();
  p.begin_items(r.tensor_count);
  for (size_t i = 0; i < r.tensor_count; ++i) {
    p.begin_pair();
    p.text(sdk::view(r.tensors[i].name));
    write_tensor(p, r.tensors[i], i);
    p.end_pair();
  }
  return p.finish();
}

} // namespace weightio::pytorch
