#include "checkpoint/set_commit.hpp"

#include "checkpoint/shard_index.hpp"
#include "support/log_internal.hpp"
#include "support/os_error.hpp"

#include <weightio/error.hpp>
#include <weightio/quoted.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <set>

namespace weightio::detail {

namespace fs = std::filesystem;

namespace {
std::atomic<CommitStepHook> g_hook{nullptr};
} // namespace

void set_commit_step_hook(CommitStepHook hook) {
  g_hook = hook;
}

void commit_step(const std::string &what) {
  if (auto h = g_hook.load())
    h(what.c_str());
}

bool exists_lstat(const fs::path &p, struct stat *out) {
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

// The renames, then the removals, then the record's removal. Each step is
// idempotent, so an interrupted run is finished by running it again.
void apply_commit(const CheckpointName &name, const CommitRecord &r, bool durable,
                  const fs::path &shown) {
  for (const auto &[staged, final] : r.renames) {
    if (::rename((name.dir / staged).c_str(), (name.dir / final).c_str()) != 0 && errno != ENOENT) {
      const int err = errno;
      throw_os_error(
          "save", shown,
          "cannot rename " + sdk::quoted(staged) + " to '" + final +
              "' (the commit is recorded: loads see the new checkpoint, and the next save "
              "of it completes the commit)",
          err);
    }
    commit_step("renamed " + final);
  }
  if (durable)
    fsync_dir(name.dir, shown);
  for (const auto &f : r.removes)
    if (::unlink((name.dir / f).c_str()) != 0 && errno != ENOENT) {
      const int err = errno;
      log()->warn("'{}': cannot remove '{}' of the previous checkpoint: {}", shown.string(), f,
                  os_reason(err));
    }
  commit_step("removed");
  if (durable)
    fsync_dir(name.dir, shown);
  if (::unlink((name.dir / name.record()).c_str()) != 0 && errno != ENOENT) {
    const int err = errno;
    throw_os_error("save", shown, "cannot remove the commit record", err);
  }
  if (durable)
    fsync_dir(name.dir, shown);
  commit_step("done");
}

// Under the lock: finish an interrupted commit (or drop an untrusted
// record), then remove staged files no commit will use.
void recover_stem(const CheckpointName &name, bool durable, const fs::path &shown) {
  const fs::path record = name.dir / name.record();
  if (exists_lstat(record)) {
    if (auto r = read_trusted_record(name)) {
      log()->info("completing the interrupted sharded save recorded in '{}'", record.string());
      apply_commit(name, *r, durable, shown);
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

} // namespace weightio::detail
