#include "checkpoint/save_run.hpp"

#include "checkpoint/file_write.hpp"
#include "checkpoint/set_commit.hpp"
#include "checkpoint/set_work.hpp"
#include "checkpoint/stem_lock.hpp"
#include "support/log_internal.hpp"
#include "support/os_error.hpp"

#include <weightio/error.hpp>
#include <weightio/quoted.hpp>

#include <unistd.h>

#include <cerrno>
#include <random>
#include <set>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxSaveThreads = 4;

std::string random_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char *hex = "0123456789abcdef";
  uint64_t v = rng();
  std::string s = std::to_string(::getpid()) + "-";
  for (int i = 0; i < 12; ++i, v >>= 4)
    s += hex[v & 15];
  return s;
}

// The same error, naming the checkpoint and the shard rather than only the
// staged file.
[[noreturn]] void rethrow_for_shard(const Error &e, const std::string &shown,
                                    const std::string &shard) {
  const std::string msg =
      "cannot save '" + shown + "' (shard " + sdk::quoted(shard) + "): " + e.what();
  if (dynamic_cast<const IoError *>(&e))
    throw IoError(e.code(), msg, shown, e.tensor(), e.limit());
  if (dynamic_cast<const UnsupportedError *>(&e))
    throw UnsupportedError(e.code(), msg, shown, e.tensor(), e.limit());
  if (dynamic_cast<const PluginError *>(&e))
    throw PluginError(e.code(), msg, shown, e.tensor(), e.limit());
  if (dynamic_cast<const FormatError *>(&e))
    throw FormatError(e.code(), msg, shown, e.tensor(), e.limit());
  throw Error(e.code(), msg, shown, e.tensor(), e.limit());
}

// The first real failure among the files', not the cancellations it caused.
void rethrow_first(const std::vector<std::exception_ptr> &errors) {
  std::exception_ptr first, cancelled;
  for (const auto &e : errors) {
    if (!e)
      continue;
    try {
      std::rethrow_exception(e);
    } catch (const Error &err) {
      if (err.code() == ErrorCode::Cancelled) {
        cancelled = cancelled ? cancelled : e;
        continue;
      }
    } catch (...) {
    }
    first = first ? first : e;
  }
  if (!first)
    first = cancelled;
  if (first)
    std::rethrow_exception(first);
}

// Each warning once, in the order the files gave them.
void add_warnings(std::vector<std::string> &out, std::set<std::string> &seen,
                  std::vector<std::string> &&more) {
  for (auto &w : more)
    if (seen.insert(w).second)
      out.push_back(std::move(w));
}

// Writes the plan's files as staged names, then commits them as a whole.
SaveResult save_set(const SavePlan &plan, const SaveOptions &o) {
  const CheckpointName &name = plan.name;
  const fs::path &path = plan.where.path;
  const std::string shown = plan.where.shown();
  const size_t n = plan.files.size();
  const bool indexed = !plan.index_text.empty();

  StemLock lock(name, path);
  recover_stem(name, o.durable, path);

  const std::string id = random_id();
  std::vector<std::string> staged;
  for (size_t s = 0; s < n; ++s)
    staged.push_back(name.staging_prefix() + id + "-" + std::to_string(s + 1));
  const std::string staged_index = name.staging_prefix() + id + "-index";
  const std::string staged_record = name.staging_prefix() + id + "-record";

  CommitRecord record;
  bool recorded = false;
  std::vector<SaveResult> results(n);
  try {
    std::vector<std::exception_ptr> errors(n);
    SetProgress progress(o.progress, n, plan.total_bytes);
    run_bounded(n, kMaxSaveThreads, [&](size_t s) {
      const PlannedWrite &f = plan.files[s];
      try {
        SaveOptions so = o;
        so.metadata = f.metadata;
        so.progress = progress.for_file(s);
        try {
          results[s] = write_file(plan.format, *f.params, so, f.options, name.dir / staged[s]);
        } catch (const Error &e) {
          rethrow_for_shard(e, shown, f.final_name);
        }
        commit_step("wrote " + f.final_name);
      } catch (...) {
        errors[s] = std::current_exception();
        progress.cancel(); // the other files stop at their next report
      }
    });
    rethrow_first(errors);

    if (indexed)
      write_new_file(name.dir / staged_index, plan.index_text, o.durable, path);
    // Every staged name durable before the record that trusts them is.
    if (o.durable)
      fsync_dir(name.dir, path);
    commit_step("staged");

    std::vector<std::string> finals;
    for (const auto &f : plan.files)
      finals.push_back(f.final_name);
    record.entry = indexed ? name.index() : finals[0];
    for (size_t s = 0; s < n; ++s)
      record.renames.emplace_back(staged[s], finals[s]);
    if (indexed)
      record.renames.emplace_back(staged_index, name.index());
    record.removes = obsolete_files(name, finals, n > 1, plan.format.format->info.split_keys);
    write_new_file(name.dir / staged_record, record.to_json(), o.durable, path);
    if (::rename((name.dir / staged_record).c_str(), (name.dir / name.record()).c_str()) != 0) {
      const int err = errno;
      throw_os_error("save", path, "cannot write the commit record", err);
    }
    recorded = true;
    if (o.durable)
      fsync_dir(name.dir, path);
  } catch (...) {
    if (!recorded) {
      for (const auto &f : staged)
        ::unlink((name.dir / f).c_str());
      ::unlink((name.dir / staged_index).c_str());
      ::unlink((name.dir / staged_record).c_str());
    }
    throw;
  }
  commit_step("recorded");
  apply_commit(name, record, o.durable, path);
  log()->debug("saved {} tensors to '{}' in {} file(s) ({})", plan.tensor_count, shown, n,
               plan.format.format->info.name);

  SaveResult out;
  std::set<std::string> seen;
  for (auto &r : results)
    add_warnings(out.warnings, seen, std::move(r.warnings));
  return out;
}

} // namespace

SaveResult run_save(const SavePlan &plan, const SaveOptions &o) {
  if (plan.as_set)
    return save_set(plan, o);
  const PlannedWrite &f = plan.files.front();
  return write_file(plan.format, *f.params, o, f.options, plan.where.path);
}

} // namespace weightio::detail
