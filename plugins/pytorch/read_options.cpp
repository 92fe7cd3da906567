#include "read_options.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

namespace weightio::pytorch {

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Defaults are PickleLimits' own, spelled out as the ABI wants them: text.
const wio_option_decl kRoot = sdk::string_option(
    WIO_OPTION_LOAD, "root",
    "read only the sub-tree at this dotted path (e.g. state_dict); empty = everything", "",
    nullptr);
const wio_option_decl kPickleBytes = sdk::int_option(
    WIO_OPTION_LOAD, "max_pickle_bytes",
    "largest data.pkl (or legacy pickles together) read, in bytes", "268435456", 1, kMax);
const wio_option_decl kObjects = sdk::int_option(
    WIO_OPTION_LOAD, "max_pickle_objects",
    "most objects a checkpoint's pickle may build (about 50 bytes each)", "4194304", 1, kMax);
const wio_option_decl kMemo = sdk::int_option(WIO_OPTION_LOAD, "max_memo_entries",
                                              "most pickle memo entries", "4194304", 1, kMax);
const wio_option_decl kStack =
    sdk::int_option(WIO_OPTION_LOAD, "max_stack_depth",
                    "most values and MARKs on the pickle stack at once", "65536", 1, kMax);
const wio_option_decl kNesting =
    sdk::int_option(WIO_OPTION_LOAD, "max_nesting", "deepest nesting of containers in a checkpoint",
                    "256", 1, kMax);
const wio_option_decl kString =
    sdk::int_option(WIO_OPTION_LOAD, "max_string_bytes",
                    "longest string or bytes object in a pickle, in bytes", "67108864", 1, kMax);

const wio_option_decl *const kDecls[] = {&kRoot,  &kPickleBytes, &kObjects, &kMemo,
                                         &kStack, &kNesting,     &kString};

void int_option(const sdk::ReadContext &ctx, std::string_view name, uint64_t &out) {
  const auto text = ctx.option(name);
  if (!text)
    return;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec == std::errc() && p == text->data() + text->size())
    out = v;
}

} // namespace

const wio_option_decl *const *read_option_decls() noexcept {
  return kDecls;
}

size_t read_option_count() noexcept {
  return sizeof kDecls / sizeof kDecls[0];
}

ReadOptions read_options(const sdk::ReadContext &ctx) {
  ReadOptions o;
  o.root = ctx.option("root").value_or("");
  int_option(ctx, "max_pickle_bytes", o.limits.max_pickle_bytes);
  int_option(ctx, "max_pickle_objects", o.limits.max_pickle_objects);
  int_option(ctx, "max_memo_entries", o.limits.max_memo_entries);
  int_option(ctx, "max_stack_depth", o.limits.max_stack_depth);
  int_option(ctx, "max_nesting", o.limits.max_nesting);
  int_option(ctx, "max_string_bytes", o.limits.max_string_bytes);
  o.limits.max_ndim = ctx.limits().max_ndim;
  return o;
}

} // namespace weightio::pytorch
