#include "human.hpp"

#include <weightio/quoted.hpp>

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace wcli {

std::string human_bytes(uint64_t bytes) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000.0 && u < 6) {
    v /= 1000.0;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string human_rate(uint64_t bytes, double seconds) {
  // Below a millisecond the clock's resolution dominates the quotient.
  if (seconds < 1e-3)
    return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f MB/s", static_cast<double>(bytes) / 1e6 / seconds);
  return buf;
}

std::string shape_string(const weightio::Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

std::string counted(uint64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

namespace {

size_t display_width(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

} // namespace

std::string printable(std::string_view text) {
  return weightio::sdk::escaped(text);
}

void print_table(std::ostream &out, const std::vector<std::vector<std::string>> &rows,
                 const std::vector<bool> &right) {
  print_table(
      out, rows.size(), [&](size_t i, std::vector<std::string> &cells) { cells = rows[i]; }, right);
}

void print_table(std::ostream &out, size_t rows,
                 const std::function<void(size_t, std::vector<std::string> &)> &row,
                 const std::vector<bool> &right) {
  std::vector<std::string> cells;
  std::vector<size_t> width;
  for (size_t i = 0; i < rows; ++i) {
    cells.clear();
    row(i, cells);
    width.resize(std::max(width.size(), cells.size()), 0);
    for (size_t c = 0; c < cells.size(); ++c)
      width[c] = std::max(width[c], display_width(cells[c]));
  }
  std::string line;
  for (size_t i = 0; i < rows; ++i) {
    cells.clear();
    row(i, cells);
    line.clear();
    for (size_t c = 0; c < cells.size(); ++c) {
      const size_t pad = width[c] - display_width(cells[c]);
      const bool r = c < right.size() && right[c];
      if (c)
        line += "  ";
      if (r)
        line.append(pad, ' ');
      line += cells[c];
      // No trailing blanks after the last column.
      if (!r && c + 1 < cells.size())
        line.append(pad, ' ');
    }
    line += '\n';
    out << line;
  }
}

} // namespace wcli
