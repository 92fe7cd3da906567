#include "checkpoint/sharded_save.hpp"

#include "checkpoint/checkpoint_name.hpp"
#include "checkpoint/commit_record.hpp"
#include "checkpoint/set_work.hpp"
#include "checkpoint/shard_index.hpp"
#include "checkpoint/shard_plan.hpp"
#include "checkpoint/split_keys.hpp"
#include "registry/registry_internal.hpp"
#include "support/log_internal.hpp"
#include "support/os_error.hpp"

#include <weightio/error.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <set>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxSaveThreads = 4;

std::atomic<CommitStepHook> g_hook{nullptr};

void step(const std::string &what) {
  if (auto h = g_hook.load())
    h(what.c_str());
}

bool exists_lstat(const fs::path &p, struct stat *out = nullptr) {
  struct stat st {};
  const bool ok = ::lstat(p.c_str(), &st) == 0;
  if (ok && out)
    *out = st;
  return ok;
}

void fsync_dir(const fs::path &dir, const fs::path &shown) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw_os_error("save", shown, "cannot open the folder to fsync it", err);
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0)
    throw_os_error("save", shown, "fsync of the folder failed", err);
}

// A new file (never an existing name, never through a symlink) holding `text`.
void write_new_file(const fs::path &p, const std::string &text, bool durable,
                    const fs::path &shown) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) {
    const int err = errno;
    throw_os_error("save", shown, "cannot create '" + p.string() + "'", err);
  }
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(p.c_str());
      throw_os_error("save", shown, "cannot write '" + p.string() + "'", err);
    }
    done += static_cast<size_t>(n);
  }
  if (durable && ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(p.c_str());
    throw_os_error("save", shown, "fsync of '" + p.string() + "' failed", err);
  }
  ::close(fd);
}

std::string random_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char *hex = "0123456789abcdef";
  uint64_t v = rng();
  std::string s = std::to_string(::getpid()) + "-";
  for (int i = 0; i < 12; ++i, v >>= 4)
    s += hex[v & 15];
  return s;
}

// Serialises saves of one stem, across threads and processes: an
// open-file-description lock (as AtomicFile's) on a lock file, removed by
// its holder. A waiter that gets the lock on a file already unlinked (or
// replaced) retries on the file now at the name, so two savers never both
// hold "the" lock.
class StemLock {
public:
  StemLock(const CheckpointName &name, const fs::path &shown) : path_(name.dir / name.lock()) {
    for (;;) {
      fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
      if (fd_ < 0) {
        const int err = errno;
        throw_os_error("save", shown, "cannot open the lock file '" + path_.string() + "'", err);
      }
      struct flock l {};
      l.l_type = F_WRLCK;
      l.l_whence = SEEK_SET;
      while (::fcntl(fd_, F_OFD_SETLKW, &l) != 0) {
        if (errno != EINTR) {
          const int err = errno;
          ::close(fd_);
          throw_os_error("save", shown, "cannot lock '" + path_.string() + "'", err);
        }
      }
      struct stat by_fd {
      }, by_name{};
      if (::fstat(fd_, &by_fd) == 0 && ::lstat(path_.c_str(), &by_name) == 0 &&
          by_fd.st_ino == by_name.st_ino && by_fd.st_dev == by_name.st_dev)
        return;
      ::close(fd_);
    }
  }
  ~StemLock() {
    ::unlink(path_.c_str());
    ::close(fd_);
  }
  StemLock(const StemLock &) = delete;
  StemLock &operator=(const StemLock &) = delete;

private:
  fs::path path_;
  int fd_ = -1;
};

// The renames, then the removals, then the record's removal. Each step is
// idempotent, so an interrupted run is finished by running it again.
void apply(const CheckpointName &name, const CommitRecord &r, bool durable, const fs::path &shown) {
  for (const auto &[staged, final] : r.renames) {
    if (::rename((name.dir / staged).c_str(), (name.dir / final).c_str()) != 0 && errno != ENOENT) {
      const int err = errno;
      throw_os_error(
          "save", shown,
          "cannot rename '" + staged + "' to '" + final +
              "' (the commit is recorded: loads see the new checkpoint, and the next save "
              "of it completes the commit)",
          err);
    }
    step("renamed " + final);
  }
  if (durable)
    fsync_dir(name.dir, shown);
  for (const auto &f : r.removes)
    if (::unlink((name.dir / f).c_str()) != 0 && errno != ENOENT) {
      const int err = errno;
      log()->warn("'{}': cannot remove '{}' of the previous checkpoint: {}", shown.string(), f,
                  os_reason(err));
    }
  step("removed");
  if (durable)
    fsync_dir(name.dir, shown);
  if (::unlink((name.dir / name.record()).c_str()) != 0 && errno != ENOENT) {
    const int err = errno;
    throw_os_error("save", shown, "cannot remove the commit record", err);
  }
  if (durable)
    fsync_dir(name.dir, shown);
  step("done");
}

// Under the lock: finish an interrupted commit (or drop an untrusted
// record), then remove staged files no commit will use.
void recover(const CheckpointName &name, bool durable, const fs::path &shown) {
  const fs::path record = name.dir / name.record();
  if (exists_lstat(record)) {
    if (auto r = read_trusted_record(name)) {
      log()->info("completing the interrupted sharded save recorded in '{}'", record.string());
      apply(name, *r, durable, shown);
    } else if (::unlink(record.c_str()) != 0 && errno != ENOENT) {
      const int err = errno;
      log()->warn("cannot remove the untrusted commit record '{}': {}", record.string(),
                  os_reason(err));
    }
  }
  DIR *d = ::opendir(name.dir.c_str());
  if (d == nullptr)
    return;
  std::vector<std::string> stale;
  while (dirent *e = ::readdir(d))
    if (name.is_staging_name(e->d_name))
      stale.emplace_back(e->d_name);
  ::closedir(d);
  for (const auto &f : stale)
    if (::unlink((name.dir / f).c_str()) == 0)
      log()->info("removed '{}' left by an interrupted sharded save", (name.dir / f).string());
}

// The previous checkpoint's files the new one does not use: its index (when
// the new one has none), the shards its index names (only names of this
// stem's shard pattern), its single file (when the new one is sharded). A
// format whose sets describe themselves (split keys) has no index to say
// which shards were the previous set's: every file of this stem's shard
// pattern that the new set doesn't use is.
std::vector<std::string> obsolete_files(const CheckpointName &name,
                                        const std::vector<std::string> &finals, bool sharded,
                                        bool split_keys) {
  std::set<std::string> keep(finals.begin(), finals.end());
  std::vector<std::string> out;
  if (split_keys) {
    if (DIR *d = ::opendir(name.dir.c_str())) {
      std::set<std::string> old;
      while (dirent *e = ::readdir(d))
        if (name.is_shard_name(e->d_name) && !keep.count(e->d_name))
          old.insert(e->d_name);
      ::closedir(d);
      out.insert(out.end(), old.begin(), old.end());
    }
  }
  const fs::path index = name.dir / name.index();
  struct stat st {};
  if (exists_lstat(index, &st)) {
    if (!sharded || split_keys)
      out.push_back(name.index());
    try {
      if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
        std::error_code ec;
        const auto size = fs::file_size(index, ec);
        if (!ec && size < (uint64_t{64} << 20)) {
          std::string text(size, '\0');
          FILE *f = std::fopen(index.c_str(), "rb");
          if (f) {
            text.resize(std::fread(text.data(), 1, text.size(), f));
            std::fclose(f);
            std::set<std::string> old;
            for (const auto &[t, file] : parse_index(text, index.string()).weight_map)
              if (name.is_shard_name(file) && !keep.count(file) &&
                  std::find(out.begin(), out.end(), file) == out.end())
                old.insert(file);
            out.insert(out.end(), old.begin(), old.end());
          }
        }
      }
    } catch (const Error &e) {
      log()->warn("'{}': the previous index is unreadable, its shards stay: {}", index.string(),
                  e.what());
    }
  }
  if (sharded && exists_lstat(name.dir / name.single()))
    out.push_back(name.single());
  return out;
}

// The same error, naming the checkpoint and the shard rather than only the
// staged file.
[[noreturn]] void rethrow_for_shard(const Error &e, const fs::path &path,
                                    const std::string &shard) {
  const std::string msg =
      "cannot save '" + path.string() + "' (shard '" + shard + "'): " + e.what();
  if (dynamic_cast<const IoError *>(&e))
    throw IoError(e.code(), msg, path.string(), e.tensor());
  if (dynamic_cast<const UnsupportedError *>(&e))
    throw UnsupportedError(e.code(), msg, path.string(), e.tensor());
  if (dynamic_cast<const PluginError *>(&e))
    throw PluginError(e.code(), msg, path.string(), e.tensor());
  if (dynamic_cast<const FormatError *>(&e))
    throw FormatError(e.code(), msg, path.string(), e.tensor());
  throw Error(e.code(), msg, path.string(), e.tensor());
}

} // namespace

void set_commit_step_hook(CommitStepHook hook) {
  g_hook = hook;
}

bool has_sharded_state(const fs::path &path, const std::string &format) {
  const auto name = CheckpointName::from_weights_path(path);
  if (exists_lstat(name.dir / name.index()) || exists_lstat(name.dir / name.record()))
    return true;
  // A self-describing set has no index: its shards are the state.
  try {
    if (!resolve_format(path, format, Need::Write).format->info.split_keys)
      return false;
  } catch (const Error &) {
    return false; // the save itself reports it
  }
  DIR *d = ::opendir(name.dir.c_str());
  if (d == nullptr)
    return false;
  bool found = false;
  while (dirent *e = ::readdir(d))
    if (name.is_shard_name(e->d_name)) {
      found = true;
      break;
    }
  ::closedir(d);
  return found;
}

void save_sharded(const fs::path &path, const FlatParams &params, const SaveOptions &o) {
  const CheckpointName name = CheckpointName::from_weights_path(path);
  if (name.base.empty() || name.single() == "." || name.single() == "..")
    throw_os_error("save", path, "the path names a folder, not a file", EISDIR);
  struct stat dst {};
  if (::stat(name.dir.c_str(), &dst) != 0) {
    const int err = errno;
    throw_os_error("save", path, "folder '" + name.dir.string() + "'", err);
  }
  const FormatInfo &info = resolve_format(path, o.format, Need::Write).format->info;
  const std::string format = info.name;
  const ShardPlan plan = plan_shards(params, o.max_shard_bytes);
  const size_t n = std::max<size_t>(1, plan.shards.size());
  const bool sharded = n > 1;
  // The set describes itself in its shards' metadata; there is no index.
  const bool self_described = sharded && info.split_keys;
  if (self_described && (n > kMaxSplitShards || params.size() > kMaxSplitTensors))
    throw Error(ErrorCode::InvalidArgument,
                "cannot save '" + path.string() + "': a " + format + " shard set holds at most " +
                    std::to_string(kMaxSplitShards) + " shards and " +
                    std::to_string(kMaxSplitTensors) + " tensors; this one would have " +
                    std::to_string(n) + " shards and " + std::to_string(params.size()) +
                    " tensors (raise the shard size)",
                path.string());

  std::vector<std::string> names;
  names.reserve(params.size());
  for (const auto &[k, v] : params)
    names.push_back(k);
  std::vector<std::string> finals;
  std::vector<std::pair<std::string, std::string>> weight_map;
  for (size_t s = 0; s < n; ++s) {
    finals.push_back(sharded ? name.shard(s + 1, n) : name.single());
    if (s < plan.shards.size())
      for (size_t i : plan.shards[s])
        weight_map.emplace_back(names[i], finals.back());
  }
  // Before anything is written: a name JSON can't hold is refused here.
  const bool indexed = sharded && !self_described;
  const std::string index_text = indexed ? index_json(plan.total_size, weight_map) : "";

  StemLock lock(name, path);
  recover(name, o.durable, path);

  const std::string id = random_id();
  std::vector<std::string> staged;
  for (size_t s = 0; s < n; ++s)
    staged.push_back(name.staging_prefix() + id + "-" + std::to_string(s + 1));
  const std::string staged_index = name.staging_prefix() + id + "-index";
  const std::string staged_record = name.staging_prefix() + id + "-record";

  CommitRecord record;
  bool recorded = false;
  try {
    std::vector<std::exception_ptr> errors(n);
    SetProgress progress(o.progress, n, plan.total_size);
    run_bounded(n, kMaxSaveThreads, [&](size_t s) {
      try {
        FlatParams part;
        if (s < plan.shards.size())
          for (size_t i : plan.shards[s]) {
            const auto &[k, v] = *(params.begin() + static_cast<std::ptrdiff_t>(i));
            part.emplace(k, v);
          }
        SaveOptions so = o;
        so.format = format;
        so.max_shard_bytes = 0;
        so.progress = progress.for_file(s);
        if (self_described)
          so.metadata = split_shard_metadata(o.metadata, s, n, params.size());
        try {
          save_weights(name.dir / staged[s], part, so);
        } catch (const Error &e) {
          rethrow_for_shard(e, path, finals[s]);
        }
        step("wrote " + finals[s]);
      } catch (...) {
        errors[s] = std::current_exception();
        progress.cancel(); // the other shards stop at their next report
      }
    });
    // The first real failure, not the cancellations it caused.
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

    if (indexed)
      write_new_file(name.dir / staged_index, index_text, o.durable, path);
    // Every staged name durable before the record that trusts them is.
    if (o.durable)
      fsync_dir(name.dir, path);
    step("staged");

    record.entry = indexed ? name.index() : finals[0];
    for (size_t s = 0; s < n; ++s)
      record.renames.emplace_back(staged[s], finals[s]);
    if (indexed)
      record.renames.emplace_back(staged_index, name.index());
    record.removes = obsolete_files(name, finals, sharded, info.split_keys);
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
  step("recorded");
  apply(name, record, o.durable, path);
  log()->debug("saved {} tensors to '{}' in {} file(s) ({})", params.size(), path.string(), n,
               format);
}

} // namespace weightio::detail
