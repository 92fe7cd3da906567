// Flat parameter maps: what a host saves (FlatParams) and what a load returns
// (Weights).
#pragma once

#include <weightio/ordered_map.hpp>
#include <weightio/tensor.hpp>

#include <map>
#include <string>
#include <vector>

namespace weightio {

// Name -> non-owning view, in insertion order (the order formats that keep
// an order use). emplace throws Error(InvalidArgument) on a duplicate name.
using FlatParams = OrderedMap<TensorView>;

using Metadata = std::map<std::string, std::string>;

// Name -> owning tensor, in the order the data lies in the file.
class Weights : public OrderedMap<Tensor> {
public:
  // String metadata (safetensors' __metadata__); empty when the format or
  // the file holds none.
  Metadata metadata;
  // Name of the format that read the file ("npz", "safetensors", ...).
  std::string format;
  // Things the load accepted but found wrong (also logged), such as a sharded
  // checkpoint's index whose total_size disagrees with its shards.
  std::vector<std::string> warnings;
  // Views of every tensor, for saving what was loaded.
  FlatParams views() const;
};

} // namespace weightio
