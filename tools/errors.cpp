#include "errors.hpp"

#include "human.hpp"

#include <weightio/error.hpp>

#include <iostream>
#include <new>

namespace wcli {

namespace {

ExitCode exit_code_for(const weightio::Error &e) {
  return e.code() == weightio::ErrorCode::InvalidFile ? kExitInvalid : kExitFailure;
}

// The library's messages name the file already; this covers any that don't,
// so that every failure the user sees says which file it is about.
std::string with_file(const weightio::Error &e) {
  std::string msg = e.what();
  if (!e.file().empty() && msg.find(e.file()) == std::string::npos)
    msg = "'" + e.file() + "': " + msg;
  return msg;
}

// The one place messages are escaped (the library's own text stays exact):
// they name files, tensors and keys that may hold control characters.
void print_error(const std::string &command, const std::string &message) {
  std::cout.flush(); // keep stdout's partial output ahead of the error on a shared terminal
  std::cerr << "weightio " << command << ": " << printable(message) << '\n';
}

} // namespace

int run_reporting(const std::string &command, const std::function<int()> &body) {
  try {
    const int rc = body();
    std::cout.flush();
    if (!std::cout) {
      std::cerr << "weightio " << command << ": cannot write to standard output\n";
      return kExitFailure;
    }
    return rc;
  } catch (const CliError &e) {
    print_error(command, e.what());
    return e.code();
  } catch (const weightio::Error &e) {
    print_error(command, with_file(e));
    return exit_code_for(e);
  } catch (const std::bad_alloc &) {
    print_error(command, "out of memory");
    return kExitFailure;
  } catch (const std::exception &e) {
    print_error(command, e.what());
    return kExitFailure;
  }
}

void warn(const std::string &command, const std::string &message) {
  std::cout.flush();
  std::cerr << "weightio " << command << ": warning: " << printable(message) << '\n';
}

} // namespace wcli
