#include "checkpoint/load_run.hpp"

#include "checkpoint/file_read.hpp"
#include "checkpoint/folder_resolution.hpp"
#include "checkpoint/set_work.hpp"
#include "checkpoint/split_keys.hpp"
#include "support/log_internal.hpp"

#include <weightio/error.hpp>
#include <weightio/quoted.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <optional>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxLoadThreads = 8;

const std::vector<std::string> &mapped_to(const ShardSet &set, const std::string &file) {
  static const std::vector<std::string> none;
  auto it = set.files.find(file);
  return it == set.files.end() ? none : it->second;
}

// The files of a set read concurrently, checked against its map together,
// and merged into one set of weights.
Weights load_set(const LoadPlan &plan, const LoadOptions &o, const MutableParams *into) {
  const std::string shown = plan.resolved.shown.string();
  const ShardSet &set = plan.set;
  std::vector<std::string> files;
  std::vector<fs::path> paths;
  uint64_t total = 0;
  for (const auto &f : plan.files) {
    files.push_back(f.file);
    paths.push_back(f.path);
    struct stat st {};
    if (::stat(f.path.c_str(), &st) == 0)
      total += static_cast<uint64_t>(st.st_size);
  }

  std::vector<std::optional<Weights>> loaded(files.size());
  std::vector<std::exception_ptr> errors(files.size());
  std::vector<bool> missing(files.size(), false);
  SetProgress progress(o.progress, files.size(), total);
  run_bounded(files.size(), kMaxLoadThreads, [&](size_t i) {
    struct stat st {};
    if (::stat(paths[i].c_str(), &st) != 0 && errno == ENOENT) {
      missing[i] = true;
      return;
    }
    LoadOptions so = o;
    so.only = plan.files[i].only;
    so.whole_set = false;
    so.progress = o.progress ? progress.for_file(i) : ProgressFn{};
    try {
      loaded[i] = read_file(paths[i], so, into);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (const auto &e : errors)
    if (e)
      std::rethrow_exception(e);

  // Every problem with the set, listed together.
  std::vector<std::string> problems;
  bool only_missing = true;
  for (size_t i = 0; i < files.size(); ++i)
    if (missing[i]) {
      const auto &tensors = mapped_to(set, files[i]);
      problems.push_back("shard " + sdk::quoted(files[i]) + " does not exist (weight_map puts " +
                         std::to_string(tensors.size()) + " tensors there" +
                         (tensors.empty() ? "" : ", such as " + sdk::quoted(tensors.front())) +
                         ")");
    }
  if (plan.whole) {
    std::map<std::string, std::vector<std::string>> found_in; // tensor -> shard files
    for (size_t i = 0; i < files.size(); ++i)
      if (loaded[i])
        for (const auto &[name, t] : *loaded[i])
          found_in[name].push_back(files[i]);
    std::map<std::string, std::string> mapped(set.index.weight_map.begin(),
                                              set.index.weight_map.end());
    for (size_t i = 0; i < files.size(); ++i) {
      if (!loaded[i])
        continue;
      for (const auto &name : mapped_to(set, files[i])) {
        if (loaded[i]->contains(name))
          continue;
        auto f = found_in.find(name);
        problems.push_back(f == found_in.end()
                               ? "weight_map puts tensor " + sdk::quoted(name) + " in " +
                                     sdk::quoted(files[i]) + ", which lacks it"
                               : "weight_map puts tensor " + sdk::quoted(name) + " in " +
                                     sdk::quoted(files[i]) + ", but it is in " +
                                     sdk::quoted(f->second.front()));
        only_missing = false;
      }
      for (const auto &[name, t] : *loaded[i]) {
        auto m = mapped.find(name);
        if (m == mapped.end()) {
          problems.push_back("shard " + sdk::quoted(files[i]) + " holds tensor " +
                             sdk::quoted(name) + ", which weight_map does not list");
          only_missing = false;
        }
      }
    }
    for (const auto &[name, in] : found_in)
      if (in.size() > 1) {
        problems.push_back("tensor " + sdk::quoted(name) +
                           " is in more than one shard: " + quoted_list(in));
        only_missing = false;
      }
  }
  if (!problems.empty()) {
    std::string msg = "cannot load '" + shown + "': ";
    for (size_t i = 0; i < problems.size(); ++i)
      msg += (i ? "; " : "") + problems[i];
    if (only_missing)
      throw IoError(ErrorCode::Io, msg, shown);
    throw FormatError(ErrorCode::InvalidFile, msg, shown);
  }

  Weights out;
  uint64_t bytes = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    Weights &w = *loaded[i];
    if (out.format.empty())
      out.format = w.format;
    for (auto &[name, t] : w) {
      bytes += t.nbytes();
      out.emplace(name, std::move(t));
    }
    for (const auto &[k, v] : w.metadata) {
      if (plan.resolved.self_described && is_split_key(k))
        continue; // the set's layout, not the checkpoint's metadata
      const Value *kept = out.metadata.find(k);
      if (kept == nullptr)
        out.metadata.emplace(k, v);
      else if (!(*kept == v))
        out.warnings.push_back("shards disagree on metadata " + sdk::quoted(k) +
                               "; the value of an "
                               "earlier shard is kept, not the one in " +
                               sdk::quoted(files[i]));
    }
    for (auto &warning : w.warnings)
      out.warnings.push_back(std::move(warning));
  }
  if (plan.whole && set.index.total_size && *set.index.total_size != bytes)
    out.warnings.push_back("metadata.total_size is " + std::to_string(*set.index.total_size) +
                           " but the shards hold " + std::to_string(bytes) + " bytes of tensors");
  for (const auto &w : out.warnings)
    log()->warn("'{}': {}", shown, w);
  return out;
}

} // namespace

Weights run_load(const LoadPlan &plan, const LoadOptions &o, const MutableParams *into) {
  Weights out;
  if (plan.resolved.sharded) {
    out = load_set(plan, o, into);
  } else {
    LoadOptions so = o;
    so.only = plan.files.front().only;
    out = read_file(plan.files.front().path, so, into);
  }
  // The caller gets them in Weights::warnings (the CLI prints those), as a
  // plugin's: the log has them at debug level only.
  for (const auto &w : plan.resolved.warnings)
    log()->debug("'{}': {}", plan.where.path.string(), w);
  out.warnings.insert(out.warnings.begin(), plan.resolved.warnings.begin(),
                      plan.resolved.warnings.end());
  return out;
}

} // namespace weightio::detail
