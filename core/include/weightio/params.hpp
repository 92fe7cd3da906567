// Flat parameter maps: what a host saves (FlatParams) and what a load returns
// (Weights).
#pragma once

#include <weightio/metadata.hpp>
#include <weightio/ordered_map.hpp>
#include <weightio/tensor.hpp>

#include <string>
#include <vector>

namespace weightio {

// Name -> non-owning view, in insertion order (the order formats that keep
// an order use). emplace throws Error(InvalidArgument) on a duplicate name.
using FlatParams = OrderedMap<TensorView>;

// Name -> owning tensor, in the order the data lies in the file.
class Weights : public OrderedMap<Tensor> {
public:
  // Typed metadata in file order (safetensors' __metadata__ strings, GGUF's
  // typed values); empty when the format or the file holds none.
  Metadata metadata;
  // Name of the format that read the file ("npz", "safetensors", ...).
  std::string format;
  // Non-fatal notes, each once (also logged): from the format's reader, or
  // the load's own, such as a sharded checkpoint's index whose total_size
  // disagrees with its shards.
  std::vector<std::string> warnings;
  // Views of every tensor, for saving what was loaded.
  FlatParams views() const;
};

} // namespace weightio
