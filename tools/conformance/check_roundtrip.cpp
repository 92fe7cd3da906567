// roundtrip and determinism.
#include "isolated_check.hpp"
#include "samples.hpp"

#include <cstring>

namespace wcli::conformance {

namespace fs = std::filesystem;

namespace {

// The keys of `m` that `saved` has (a format may add its own, see
// compare_loaded).
weightio::Metadata saved_keys_only(const weightio::Metadata &m, const weightio::Metadata &saved) {
  weightio::Metadata out;
  for (const auto &[k, v] : m)
    if (saved.contains(k))
      out.emplace(k, v);
  return out;
}

// Tensors and metadata come back in the order saved, or in an order of the
// format's own that does not depend on the caller's (safetensors sorts, as
// its official writer does): the reverse insertion order reads back alike.
std::string order_problem(const Case &c, const weightio::Weights &got_all,
                          const weightio::FormatInfo &f, const fs::path &file) {
  weightio::Weights got = got_all;
  got.metadata = saved_keys_only(got_all.metadata, c.metadata);
  if (tensor_order(c.params) == tensor_order(got) &&
      metadata_order(c.metadata) == metadata_order(got.metadata))
    return {};
  const Case back = reversed(c);
  weightio::save_weights(file, back.params, back.save_options(f.name));
  weightio::LoadOptions lo;
  lo.format = f.name;
  auto again = weightio::load_weights(file, lo);
  again.metadata = saved_keys_only(again.metadata, c.metadata);
  if (tensor_order(again) != tensor_order(got) && tensor_order(c.params) != tensor_order(got))
    return "tensor order changed: saved " + tensor_order(c.params) + "; read back " +
           tensor_order(got);
  if (metadata_order(again.metadata) != metadata_order(got.metadata) &&
      metadata_order(c.metadata) != metadata_order(got.metadata))
    return "metadata order changed: saved " + metadata_order(c.metadata) + "; read back " +
           metadata_order(got.metadata);
  return {};
}

} // namespace

void check_roundtrip(const Target &t, const KitOptions &o, std::vector<CheckResult> &out) {
  const auto formats = writable_formats(t);
  out.push_back(isolated_check("roundtrip", limits_for(o), [&](Reporter &r) {
    if (formats.empty())
      return r.skip("the plugin has no format that both writes and reads");
    size_t n = 0;
    for (const auto &f : formats) {
      const fs::path file = o.work_dir / ("roundtrip." + f.extensions.at(0));
      for (const auto &c : roundtrip_cases(f, o.seed)) {
        const std::string where = f.name + ", " + c.label;
        r.step(where);
        try {
          weightio::save_weights(file, c.params, c.save_options(f.name));
          weightio::LoadOptions lo;
          lo.format = f.name;
          const auto got = weightio::load_weights(file, lo);
          if (auto diff = compare_loaded(c, got); !diff.empty())
            r.fail(where + ": " + diff);
          else if (auto order = order_problem(c, got, f, file); !order.empty())
            r.fail(where + ": " + order);
        } catch (const std::exception &e) {
          r.fail(where + ": " + e.what());
        }
        ++n;
      }
      // Empty names: where allowed. A refusal before writing is fine.
      const Case empty = empty_name_case(f, o.seed);
      const std::string where = f.name + ", " + empty.label;
      r.step(where);
      try {
        weightio::save_weights(file, empty.params, empty.save_options(f.name));
        weightio::LoadOptions lo;
        lo.format = f.name;
        if (auto diff = compare_loaded(empty, weightio::load_weights(file, lo)); !diff.empty())
          r.fail(where + ": " + diff);
        ++n;
      } catch (const weightio::Error &e) {
        if (e.code() == weightio::ErrorCode::Plugin || e.code() == weightio::ErrorCode::Internal)
          r.fail(where + ": " + e.what());
      }
    }
    r.note(std::to_string(n) + " saves read back equal (dtypes, block types, shapes, names, "
                               "metadata, options)");
  }));
}

void check_determinism(const Target &t, const KitOptions &o, std::vector<CheckResult> &out) {
  std::vector<weightio::FormatInfo> formats;
  for (const auto &f : t.info.formats)
    if (f.can_write)
      formats.push_back(f);
  out.push_back(isolated_check("determinism", limits_for(o), [&](Reporter &r) {
    if (formats.empty())
      return r.skip("the plugin writes no format");
    size_t n = 0;
    for (const auto &f : formats)
      for (const auto &c : roundtrip_cases(f, o.seed)) {
        const std::string where = f.name + ", " + c.label;
        r.step(where);
        try {
          const auto a = weightio::save_weights_to_memory(c.params, c.save_options(f.name));
          const auto b = weightio::save_weights_to_memory(c.params, c.save_options(f.name));
          if (a != b) {
            size_t i = 0;
            while (i < a.size() && i < b.size() && a[i] == b[i])
              ++i;
            r.fail(where +
                   ": the same input written twice gives different bytes (first "
                   "difference at byte offset " +
                   std::to_string(i) + " of " + std::to_string(a.size()) + ")");
          }
        } catch (const std::exception &e) {
          r.fail(where + ": " + e.what());
        }
        ++n;
      }
    r.note(std::to_string(n) + " inputs written twice give identical bytes");
  }));
}

} // namespace wcli::conformance
