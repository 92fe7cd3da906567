#include "isolated_check.hpp"

namespace wcli::conformance {

std::string Reporter::oneline(std::string s) {
  for (auto &c : s)
    if (c == '\n' || c == '\r')
      c = ' ';
  return s;
}

CheckResult isolated_check(const std::string &id, const ChildLimits &limits,
                           const std::function<void(Reporter &)> &body) {
  const ChildRun run = run_child(
      [&](LineWriter &w) {
        Reporter r(w);
        body(r);
      },
      limits);
  CheckResult result{id, Status::Pass, {}};
  std::string step, first_fail, skip;
  size_t fails = 0;
  for (const auto &l : run.lines) {
    if (l.size() < 2)
      continue;
    const std::string text = l.substr(2);
    switch (l[0]) {
    case 'S':
      step = text;
      break;
    case 'F':
      if (fails++ == 0)
        first_fail = text;
      break;
    case 'N':
      result.detail = text;
      break;
    case 'K':
      skip = text;
      break;
    default:
      break;
    }
  }
  if (!run.completed) {
    result.status = Status::Fail;
    result.detail = (step.empty() ? "" : step + ": ") + "the plugin " + describe_end(run, limits);
    if (fails > 0)
      result.detail += "; earlier: " + first_fail;
  } else if (fails > 0) {
    result.status = Status::Fail;
    result.detail = first_fail;
    if (fails > 1)
      result.detail += " (and " + std::to_string(fails - 1) + " more)";
  } else if (!skip.empty() && result.detail.empty()) {
    result.status = Status::Skip;
    result.detail = skip;
  }
  return result;
}

ChildLimits limits_for(const KitOptions &o, uint64_t budget) {
  ChildLimits l;
  l.idle_timeout_s = o.time_limit_s;
  l.memory_budget = budget;
  return l;
}

std::vector<weightio::FormatInfo> writable_formats(const Target &t) {
  std::vector<weightio::FormatInfo> out;
  for (const auto &f : t.info.formats)
    if (f.can_read && f.can_write)
      out.push_back(f);
  return out;
}

} // namespace wcli::conformance
