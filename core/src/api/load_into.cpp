#include "checkpoint/file_read.hpp"
#include "checkpoint/load_plan.hpp"
#include "checkpoint/load_run.hpp"

#include <weightio/error.hpp>
#include <weightio/io.hpp>
#include <weightio/quoted.hpp>

#include <optional>
#include <set>

namespace weightio {

namespace {

std::string type_name(const MutableTensorView &v) {
  return v.block ? v.block->name : std::string(dtype_name(v.dtype));
}

bool same_type(const Tensor &t, const MutableTensorView &v) {
  return t.block_type() ? t.block_type() == v.block : (v.block == nullptr && t.dtype() == v.dtype);
}

} // namespace

std::vector<std::string> load_weights_into(const std::filesystem::path &path,
                                           MutableParams &destination, bool strict,
                                           const LoadOptions &options) {
  // One plan for both passes. First the description of every tensor
  // (headers only): strict must see the extras, non-strict must not fail on
  // names the file lacks, and no buffer may be written before the whole
  // checkpoint is known to fit.
  const detail::Location where = detail::Location::of(path);
  LoadOptions describe = options;
  describe.describe_only = true;
  describe.verify = false;
  describe.on_ready = {};
  describe.progress = {};
  std::optional<detail::LoadPlan> plan;
  Weights w;
  try {
    plan = detail::plan_load(where, describe);
    w = detail::run_load(*plan, describe);
  } catch (const FormatError &) {
    // A description checks less than a load (no CRC): the load's own error
    // names the real problem, as it did before the description came first.
    load_weights(path, options);
    throw;
  }

  std::vector<std::string> problems;
  for (const auto &[name, dst] : destination) {
    // The host's own buffers: a bad one is a caller error, reported now.
    uint64_t want = 0;
    try {
      want = dst.block ? shape_nbytes(*dst.block, dst.shape) : shape_nbytes(dst.dtype, dst.shape);
    } catch (const Error &e) {
      throw Error(ErrorCode::InvalidArgument,
                  "load_weights_into: destination " + sdk::quoted(name) + ": " + e.what(),
                  path.string(), name);
    }
    if (dst.data == nullptr && want != 0)
      throw Error(ErrorCode::InvalidArgument,
                  "load_weights_into: destination " + sdk::quoted(name) + " has no buffer",
                  path.string(), name);
  }
  for (const auto &[name, dst] : destination) {
    const Tensor *t = w.find(name);
    if (t == nullptr) {
      if (strict)
        problems.push_back("missing " + sdk::quoted(name));
      continue;
    }
    if (!same_type(*t, dst))
      problems.push_back(sdk::quoted(name) + " has dtype " + std::string(t->type_name()) +
                         " in the file, the host expects " + type_name(dst));
    else if (t->shape() != dst.shape)
      problems.push_back(sdk::quoted(name) + " has shape " + shape_to_string(t->shape()) +
                         " in the file, the host expects " + shape_to_string(dst.shape));
  }
  if (strict)
    for (const auto &[name, t] : w)
      if (!destination.contains(name))
        problems.push_back("unexpected " + sdk::quoted(name));
  if (strict && !problems.empty()) {
    std::string msg = "cannot load '" + path.string() + "' into the model: ";
    for (size_t i = 0; i < problems.size(); ++i)
      msg += (i ? "; " : "") + problems[i];
    throw MismatchError(ErrorCode::Mismatch, msg, path.string());
  }

  std::vector<std::string> copied;
  std::set<std::string> names;
  for (const auto &[name, dst] : destination) {
    const Tensor *t = w.find(name);
    if (t == nullptr || !same_type(*t, dst) || t->shape() != dst.shape)
      continue;
    copied.push_back(name);
    names.insert(name);
  }
  if (copied.empty())
    return copied;
  // The bytes, straight into the caller's buffers.
  detail::select_reads(*plan, names);
  detail::run_load(*plan, detail::serialised_ready(options), &destination);
  return copied;
}

} // namespace weightio
