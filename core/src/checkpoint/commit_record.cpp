#include "checkpoint/commit_record.hpp"
#include <weightio/quoted.hpp>

#include "support/log_internal.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace weightio::detail {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr off_t kMaxRecordBytes = 1 << 20;

std::optional<std::string> read_small_file(const fs::path &p, const struct stat &expected) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return std::nullopt;
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0 && st.st_ino == expected.st_ino && st.st_dev == expected.st_dev &&
      S_ISREG(st.st_mode) && st.st_size <= kMaxRecordBytes) {
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);
  }
  ::close(fd);
  return text;
}

} // namespace

std::string CommitRecord::to_json() const {
  json j;
  j["weightio_commit"] = 1;
  j["entry"] = entry;
  j["renames"] = renames;
  j["removes"] = removes;
  return j.dump(1) + "\n";
}

std::string CommitRecord::staged_for(const std::string &final_name) const {
  for (const auto &[staged, final] : renames)
    if (final == final_name)
      return staged;
  return {};
}

std::optional<CommitRecord> read_trusted_record(const CheckpointName &name) {
  const fs::path p = name.dir / name.record();
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0)
    return std::nullopt;
  auto distrust = [&](const std::string &why) -> std::optional<CommitRecord> {
    log()->warn("ignoring the commit record '{}' of an interrupted sharded save: {}", p.string(),
                why);
    return std::nullopt;
  };
  if (!S_ISREG(st.st_mode))
    return distrust("it is not a regular file");
  struct stat dir {};
  if (::stat(name.dir.c_str(), &dir) != 0)
    return std::nullopt;
  if (st.st_uid != dir.st_uid && st.st_uid != ::geteuid())
    return distrust("its owner (uid " + std::to_string(st.st_uid) +
                    ") owns neither the folder nor this process");
  if (st.st_size > kMaxRecordBytes)
    return distrust("it is too large");
  const auto text = read_small_file(p, st);
  if (!text)
    return std::nullopt; // removed meanwhile: the commit completed

  CommitRecord r;
  try {
    const json j = json::parse(*text);
    if (j.at("weightio_commit").get<int>() != 1)
      return distrust("unknown version");
    r.entry = j.at("entry").get<std::string>();
    r.renames = j.at("renames").get<std::vector<std::pair<std::string, std::string>>>();
    r.removes = j.at("removes").get<std::vector<std::string>>();
  } catch (const json::exception &e) {
    return distrust(std::string("it is not a valid record (") + e.what() + ")");
  }
  if (r.entry != name.single() && r.entry != name.index() && !name.is_shard_name(r.entry))
    return distrust("its entry " + sdk::quoted(r.entry) + " is not a file of this checkpoint");
  bool entry_renamed = false;
  for (const auto &[staged, final] : r.renames) {
    if (!is_plain_file_name(staged) || staged.rfind(name.staging_prefix(), 0) != 0 ||
        !is_plain_file_name(final) || !name.is_member_name(final))
      return distrust("it names a file that is not part of this checkpoint");
    entry_renamed = entry_renamed || final == r.entry;
    struct stat s {};
    if (::lstat((name.dir / staged).c_str(), &s) == 0 &&
        (!S_ISREG(s.st_mode) || s.st_uid != st.st_uid))
      return distrust("its staged file " + sdk::quoted(staged) +
                      " is not a regular file of the same owner");
  }
  if (!entry_renamed)
    return distrust("it does not rename its entry");
  for (const auto &f : r.removes)
    if (!is_plain_file_name(f) || !name.is_member_name(f))
      return distrust("it removes a file that is not part of this checkpoint");
  return r;
}

fs::path current_path(const CheckpointName &name, const CommitRecord *record,
                      const std::string &final_name) {
  if (record != nullptr) {
    const std::string staged = record->staged_for(final_name);
    struct stat st {};
    if (!staged.empty() && ::lstat((name.dir / staged).c_str(), &st) == 0)
      return name.dir / staged;
  }
  return name.dir / final_name;
}

} // namespace weightio::detail
