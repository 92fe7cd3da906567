#include "size_arg.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <utility>

namespace wcli {

namespace {

std::string trim(const std::string &s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
    ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
    --e;
  return s.substr(b, e - b);
}

bool ends_with_nocase(const std::string &s, const std::string &suffix) {
  if (s.size() < suffix.size())
    return false;
  for (size_t i = 0; i < suffix.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(s[s.size() - suffix.size() + i])) != suffix[i])
      return false;
  return true;
}

} // namespace

std::optional<uint64_t> parse_size(const std::string &text) {
  const std::string s = trim(text);
  if (s.empty())
    return std::nullopt;
  if (s.find_first_not_of("0123456789") == std::string::npos) {
    if (s.size() > 20)
      return std::nullopt;
    errno = 0;
    const unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
    if (errno != 0 || v == 0)
      return std::nullopt;
    return v;
  }
  static const std::pair<const char *, double> units[] = {{"TIB", 1099511627776.0},
                                                          {"GIB", 1073741824.0},
                                                          {"MIB", 1048576.0},
                                                          {"KIB", 1024.0},
                                                          {"TB", 1e12},
                                                          {"GB", 1e9},
                                                          {"MB", 1e6},
                                                          {"KB", 1e3}};
  for (const auto &[unit, factor] : units) {
    const std::string u = unit;
    if (!ends_with_nocase(s, u))
      continue;
    const std::string number = trim(s.substr(0, s.size() - u.size()));
    // A decimal number as Python's float() reads one ("1.5", ".5", "2e3"),
    // without signs, inf or nan, which make no size.
    static const std::regex decimal(R"(^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$)");
    if (!std::regex_match(number, decimal))
      return std::nullopt;
    const double bytes = std::floor(std::strtod(number.c_str(), nullptr) * factor);
    if (!(bytes >= 1) || bytes >= 18446744073709551616.0)
      return std::nullopt;
    return static_cast<uint64_t>(bytes);
  }
  return std::nullopt;
}

} // namespace wcli
