#include "checkpoint_emit.hpp"
#include "checkpoint_tree.hpp"
#include "legacy_container.hpp"
#include "pickle_machine.hpp"
#include "pytorch.hpp"
#include "pytorch_error.hpp"
#include "read_options.hpp"
#include "zip_container.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstring>

namespace weightio::pytorch {

namespace {

bool starts_with(std::span<const uint8_t> in, std::string_view prefix) {
  return in.size() >= prefix.size() && std::memcmp(in.data(), prefix.data(), prefix.size()) == 0;
}

// POSIX tar's magic, 257 bytes in: torch before 0.4 saved tar archives.
bool is_tar(std::span<const uint8_t> in) {
  return in.size() >= 262 && std::memcmp(in.data() + 257, "ustar", 5) == 0;
}

TreeOptions tree_options(const sdk::ReadContext &ctx, const ReadOptions &opt) {
  TreeOptions t;
  t.root = opt.root;
  t.max_nesting = opt.limits.max_nesting;
  t.max_tensors = ctx.limits().max_tensors;
  t.max_name_bytes = ctx.limits().max_name_bytes;
  return t;
}

void read_zip(const sdk::ReadContext &ctx, const ReadOptions &opt, Objects &objects) {
  ZipCheckpoint zip(objects.input(), ctx.limits(), opt.limits, ctx.verify_all(),
                    ctx.describe_only());
  Ref top = 0;
  try {
    const ByteRange p = zip.pickle();
    top = PickleMachine(objects, opt.limits).run(p.offset, p.offset + p.size);
  } catch (const sdk::LimitExceeded &) {
    throw;
  } catch (const sdk::Failure &f) {
    sdk::fail(f.status(), "record " + sdk::quoted(zip.pickle_name()) + ": " + f.what());
  }
  const Tree tree = walk_tree(objects, top, tree_options(ctx, opt));
  emit_checkpoint(ctx, objects, tree, zip, zip.big_endian());
}

void read_legacy(const sdk::ReadContext &ctx, const ReadOptions &opt, Objects &objects) {
  LegacyCheckpoint legacy(objects, opt.limits);
  const Tree tree = walk_tree(objects, legacy.object(), tree_options(ctx, opt));
  emit_checkpoint(ctx, objects, tree, legacy, false);
}

} // namespace

void read_pytorch(const wio_read_request &r) {
  const sdk::ReadContext ctx(&r);
  const ReadOptions opt = read_options(ctx);
  const std::span<const uint8_t> in(ctx.data(), static_cast<size_t>(ctx.size()));
  Objects objects(in, opt.limits.max_pickle_objects);
  if (starts_with(in, {"PK\x03\x04", 4}) || starts_with(in, {"PK\x05\x06", 4}))
    read_zip(ctx, opt, objects);
  else if (starts_with(in, kLegacyPrefix))
    read_legacy(ctx, opt, objects);
  else if (is_tar(in))
    refuse(PtError::not_checkpoint, "it is a tar archive: torch.save wrote those before torch "
                                    "0.4, and weightio does not read them");
  else
    refuse(PtError::not_checkpoint,
           "it is neither a zip archive (torch >= 1.6) nor a legacy checkpoint (torch's magic "
           "number first)");
  ctx.progress(ctx.size(), ctx.size());
}

} // namespace weightio::pytorch
