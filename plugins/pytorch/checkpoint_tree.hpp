// The names a checkpoint's objects get, by MLX's tree rules (tree_flatten):
// dict keys joined with '.', list and tuple items and int keys by their
// decimal value, keys keeping their own dots ({"a.b": x} is "a.b"). The
// walk is iterative (an explicit stack), refuses cycles, and bounds both
// nesting and its total work, so shared sub-trees (a DAG that doubles at
// every level) cannot make it run for long.
#pragma once

#include "pickle_value.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weightio::pytorch {

struct TreeOptions {
  std::string_view root;       // a dotted path to the sub-tree to read; "" = all
  uint64_t max_nesting = 0;    // containers inside containers (0 = none)
  uint64_t max_tensors = 0;    // wio_read_limits.max_tensors
  uint64_t max_name_bytes = 0; // wio_read_limits.max_name_bytes
};

// A tensor (Kind::tensor) or a scalar (boolean, integer, floating,
// string), with its name below the root.
struct Leaf {
  std::string name;
  Ref ref;
};

struct Tree {
  std::vector<Leaf> leaves; // in the pickle's order
  uint64_t tensors = 0;
  // Values that are neither tensors nor scalars weightio keeps (None,
  // bytes, complex, sets, ints beyond 64 bits, storages, dtypes, devices),
  // and dict entries whose keys are neither str nor int: skipped, counted.
  uint64_t skipped_values = 0;
  uint64_t skipped_keys = 0;
  std::string skipped_kinds; // "None, bytes": the kinds of skipped values
};

// Names every leaf under `top` (or under options.root in it). Throws
// sdk::Failure: INVALID_FILE for a name given twice, a container inside
// itself, a tensor kind weightio does not read (naming the tensor), a
// missing root; LIMIT past max_nesting, max_tensors or max_name_bytes, or
// past the walk's own work bound ("tree_visits").
Tree walk_tree(const Objects &objects, Ref top, const TreeOptions &options);

} // namespace weightio::pytorch
