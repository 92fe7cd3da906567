#include "checkpoint_emit.hpp"

#include "../common/count_text.hpp"
#include "tensor_layout.hpp"

#include <bit>
#include <optional>
#include <vector>

namespace weightio::pytorch {

namespace {

struct Planned {
  const Leaf *leaf;
  const TensorRecord *tensor;
  uint32_t storage;
  TensorLayout layout;
};

class Emitter {
public:
  Emitter(const sdk::ReadContext &ctx, const Objects &o, StorageRecords &records, bool swap)
      : ctx_(ctx), o_(o), records_(records), swap_(swap), ranges_(o.storages.size()) {}

  void run(const Tree &tree) {
    std::vector<Planned> plan;
    plan.reserve(static_cast<size_t>(tree.tensors));
    for (const Leaf &leaf : tree.leaves) {
      if (o_[leaf.ref].kind != Kind::tensor)
        continue;
      const TensorRecord &t = o_.tensors[o_[leaf.ref].a];
      const StorageView &view = o_.views[t.view];
      const StorageRecord &s = o_.storages[view.storage];
      range(view.storage);
      plan.push_back({&leaf, &t, view.storage, tensor_layout(t, s, view, leaf.name)});
    }
    size_t next = 0;
    for (const Leaf &leaf : tree.leaves) {
      if (next < plan.size() && plan[next].leaf == &leaf)
        tensor(plan[next++]);
      else
        value(leaf);
    }
    warn(tree);
  }

private:
  // The storage's record, found (and checked) once.
  const ByteRange &range(uint32_t storage) {
    if (!ranges_[storage])
      ranges_[storage] = records_.locate(o_, storage);
    return *ranges_[storage];
  }

  void tensor(const Planned &p) {
    const std::string &name = p.leaf->name;
    if (!ctx_.wants(name))
      return;
    const TensorRecord &t = *p.tensor;
    const ByteRange &r = range(p.storage);
    const auto ndim = static_cast<uint32_t>(t.shape.size());
    const uint64_t elsize = sdk::dtype_info(t.dtype).bits / 8;
    wio_tensor_out out;
    if (ctx_.describe_only())
      out = sdk::described_tensor(t.dtype, name, t.shape.data(), ndim, p.layout.nbytes);
    else if (p.layout.contiguous)
      out = sdk::mapped_tensor(t.dtype, name, t.shape.data(), ndim,
                               r.offset + p.layout.element_offset * elsize, p.layout.nbytes);
    else
      out = sdk::strided_tensor(t.dtype, name, t.shape.data(), t.strides.data(), ndim,
                                p.layout.element_offset, p.layout.nbytes);
    sdk::in_storage(out, uint64_t{p.storage} + 1, r.offset, r.size);
    if (swap_ && elsize > 1 && !ctx_.describe_only())
      out.tensor_flags |= WIO_TENSOR_BYTE_SWAP;
    ctx_.emit(out);
  }

  void value(const Leaf &leaf) const {
    const Node &n = o_[leaf.ref];
    switch (n.kind) {
    case Kind::boolean:
      return ctx_.value(leaf.name, n.a != 0);
    case Kind::integer:
      return ctx_.value(leaf.name, static_cast<int64_t>(n.a));
    case Kind::floating:
      return ctx_.value(leaf.name, std::bit_cast<double>(n.a));
    case Kind::string:
      return ctx_.value(leaf.name, o_.text(leaf.ref));
    default:
      return; // walk_tree keeps no other leaf
    }
  }

  void warn(const Tree &tree) const {
    if (tree.skipped_values != 0)
      ctx_.warn("skipped " + common::count_of(tree.skipped_values, "value") +
                " that weightio does not keep (" + tree.skipped_kinds +
                "): it keeps tensors, and ints, floats, strings and bools as metadata");
    if (tree.skipped_keys != 0)
      ctx_.warn("skipped " + common::count_of(tree.skipped_keys, "dict entry", "dict entries") +
                " whose keys are neither str nor int, with everything under them");
  }

  const sdk::ReadContext &ctx_;
  const Objects &o_;
  StorageRecords &records_;
  bool swap_;
  std::vector<std::optional<ByteRange>> ranges_;
};

} // namespace

void emit_checkpoint(const sdk::ReadContext &ctx, const Objects &objects, const Tree &tree,
                     StorageRecords &records, bool byte_swap) {
  Emitter(ctx, objects, records, byte_swap).run(tree);
}

} // namespace weightio::pytorch
