// One check run in a child process (child.hpp): the body reports steps,
// failures and notes; a crash, hang or balloon fails the check, naming the
// step it happened in.
#pragma once

#include "child.hpp"
#include "kit.hpp"

#include <functional>
#include <string>

namespace wcli::conformance {

class Reporter {
public:
  explicit Reporter(LineWriter &w) : w_(w) {}
  // Starts a step (also resets the child's time limit).
  void step(const std::string &label) { w_.line("S " + oneline(label)); }
  void fail(const std::string &detail) { w_.line("F " + oneline(detail)); }
  // The detail of a passing check (the last one wins).
  void note(const std::string &text) { w_.line("N " + oneline(text)); }
  // Nothing to check; the check is skipped unless something failed.
  void skip(const std::string &why) { w_.line("K " + oneline(why)); }

private:
  static std::string oneline(std::string s);
  LineWriter &w_;
};

CheckResult isolated_check(const std::string &id, const ChildLimits &limits,
                           const std::function<void(Reporter &)> &body);

// The limits for a check of `o`: its time limit, memory budget `budget`.
ChildLimits limits_for(const KitOptions &o, uint64_t budget = 512u << 20);

// The formats of the plugin that can both write and read.
std::vector<weightio::FormatInfo> writable_formats(const Target &t);

} // namespace wcli::conformance
