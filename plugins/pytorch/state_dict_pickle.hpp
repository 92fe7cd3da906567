// data.pkl of torch.save(state_dict): the pickle torch 1.13 writes for an
// OrderedDict of plain CPU tensors, each on a storage of its own.
#pragma once

#include <weightio/plugin_abi.h>

#include <string>

namespace weightio::pytorch {

// The pickle (protocol 2) of an OrderedDict mapping each tensor's name to
// torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False,
// OrderedDict()), in the request's order, tensor i on the storage
// persisted as ('storage', torch.<X>Storage, str(i), 'cpu', numel): the
// bytes torch 1.13's pickler gives for the same state dict. The caller has
// checked that every dtype has a storage class and every name is UTF-8.
std::string state_dict_pickle(const wio_write_request &request);

} // namespace weightio::pytorch
