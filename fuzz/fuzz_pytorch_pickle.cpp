// The PyTorch reader's pickle machine and tree walk on raw pickle bytes.
// Whatever the bytes, the machine either builds objects or refuses with
// INVALID_FILE or LIMIT (never another status, never a crash), within
// small limits set here so that each input runs fast; and a walk of what
// it built names every leaf once.
#include "checkpoint_tree.hpp"
#include "pickle_machine.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

using namespace weightio;
using namespace weightio::pytorch;

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "pickle machine invariant broken: %s\n", what);
    std::abort();
  }
}

void refusal(const sdk::Failure &e) {
  check(e.status() == WIO_ERR_INVALID_FILE || e.status() == WIO_ERR_LIMIT,
        "refusal is INVALID_FILE or LIMIT");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  PickleLimits limits;
  limits.max_pickle_objects = 100000;
  limits.max_memo_entries = 10000;
  limits.max_stack_depth = 10000;
  limits.max_nesting = 64;
  limits.max_string_bytes = 1 << 16;
  limits.max_ndim = 16;
  Objects objects({data, size}, limits.max_pickle_objects);
  Ref top = 0;
  try {
    top = PickleMachine(objects, limits).run(0, size);
  } catch (const sdk::Failure &e) {
    refusal(e);
    return 0;
  }
  check(objects.size() <= limits.max_pickle_objects, "max_pickle_objects");
  check(top < objects.size(), "the result is a node");
  for (const TensorRecord &t : objects.tensors) {
    check(t.view < objects.views.size(), "a tensor's storage view exists");
    check(t.shape.size() == t.strides.size(), "shape and strides agree");
    check(t.shape.size() <= limits.max_ndim, "max_ndim");
  }
  try {
    TreeOptions opt;
    opt.max_nesting = limits.max_nesting;
    const Tree tree = walk_tree(objects, top, opt);
    std::unordered_set<std::string> names;
    for (const Leaf &leaf : tree.leaves)
      check(names.insert(leaf.name).second, "every name once");
  } catch (const sdk::Failure &e) {
    refusal(e);
  }
  return 0;
}
