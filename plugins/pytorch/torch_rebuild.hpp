// What REDUCE, NEWOBJ, BUILD and BINPERSID mean for the allowed globals:
// torch's tensor rebuild functions become TensorRecords, ('storage', ...)
// persistent ids become storage views, OrderedDict an empty dict, set,
// complex, bytes and device opaque values. Only argument types are checked
// here; a tensor's geometry against its storage is checked once the tensor
// has a name (tensor_layout.hpp). Everything throws sdk::Failure
// (INVALID_FILE, LIMIT for max_ndim); the machine adds the opcode's offset.
#pragma once

#include "pickle_limits.hpp"
#include "pickle_value.hpp"

namespace weightio::pytorch {

// REDUCE (newobj false) or NEWOBJ of `callable` with the tuple `args`.
Ref call_global(Objects &objects, Ref callable, Ref args, bool newobj, const PickleLimits &limits);

// BINPERSID: a storage view for torch's ('storage', class, key, location,
// numel) id (a sixth item, the legacy format's view_metadata, allowed).
Ref persistent_load(Objects &objects, Ref pid);

// BUILD: `state` given to `target`; torch only builds OrderedDicts (their
// _metadata) and tensors (a Parameter's state). The state is dropped.
void build_state(Objects &objects, Ref target, Ref state);

} // namespace weightio::pytorch
