// Shared helpers for the test suite: temporary folders, file bytes, running
// Debian's python3 (with numpy) and other commands.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace wtest {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed with everything in it.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const fs::path &path() const { return path_; }
  fs::path operator/(const std::string &name) const { return path_ / name; }

private:
  fs::path path_;
};

std::vector<uint8_t> read_bytes(const fs::path &path);
void write_bytes(const fs::path &path, const std::vector<uint8_t> &bytes);
std::string read_text(const fs::path &path);

struct CommandResult {
  int exit_code = -1;   // the process's exit status, or -1 if it did not exit
  std::string out;      // stdout
  std::string err;      // stderr
  long max_rss_kib = 0; // the process's peak resident memory (wait4's ru_maxrss)
};

// Runs argv (no shell) with extra environment entries ("K=V"), capturing output.
CommandResult run_command(const std::vector<std::string> &argv,
                          const std::vector<std::string> &env = {},
                          const std::string &stdin_text = {}, const fs::path &cwd = {});

// Runs Debian's /usr/bin/python3 on a script file with arguments. Fails the
// current test (not skips) when python3 or numpy is missing: the README's
// set-up installs python3-numpy.
CommandResult run_python(const fs::path &script, const std::vector<std::string> &args = {});

// Path of a file in tests/data.
fs::path data_path(const std::string &relative);
// Path of a python helper script in tests/python.
fs::path python_script(const std::string &name);

// Hex SHA-256 of bytes (OpenSSL).
std::string sha256_hex(const void *data, size_t size);

} // namespace wtest
