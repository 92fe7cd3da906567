#include "human.hpp"

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

// Length of the valid UTF-8 sequence at s[i] (its code point in `cp`), or 0
// when it is not one.
size_t utf8_length(std::string_view s, size_t i, uint32_t &cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  cp = c;
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size())
    return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not valid.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

// Code points past ASCII that act on the terminal or on the text around
// them instead of showing: C1 controls (U+009B starts an escape sequence on
// many terminals), the bidirectional marks, embeddings, overrides and
// isolates (which reorder what follows, e.g. to disguise a name), and the
// line and paragraph separators.
bool is_hidden_control(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t display_width(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

} // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  char buf[16];
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    uint32_t cp = 0;
    const size_t n = utf8_length(text, i, cp);
    if (n > 1) {
      if (is_hidden_control(cp)) {
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
        out += buf;
      } else {
        out.append(text.substr(i, n));
      }
      i += n;
      continue;
    }
    if (n == 1 && c >= 0x20 && c != 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else { // other C0 controls, DEL, and bytes that are not UTF-8
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
    ++i;
  }
  return out;
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
