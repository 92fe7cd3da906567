// Text formatting shared by the commands: sizes, rates, shapes, tables.
#pragma once

#include <weightio/tensor.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace wcli {

// Decimal units (1 MB = 10^6 bytes), as throughput is usually quoted.
std::string human_bytes(uint64_t bytes);
// "123 MB/s"; "-" when the time is too short to measure.
std::string human_rate(uint64_t bytes, double seconds);
// "[2, 3]"; "[]" for a scalar.
std::string shape_string(const weightio::Shape &shape);
// 1234567 -> "1,234,567".
std::string grouped(uint64_t n);
// A count with its noun agreeing in number: "1 tensor", "0 tensors",
// "2 tensors" (the plural adds an s).
std::string counted(uint64_t n, std::string_view noun);
// Text for a person's terminal. Names, keys, values and paths come from files
// and arguments: control characters could repaint the terminal or forge
// lines, bidirectional overrides disguise text, and invalid UTF-8 garbles it.
// This is sdk::escaped (weightio/quoted.hpp), the one escaping rule of the
// library, the plugins and the tool: controls, C1, bidirectional and line
// separator characters and invalid bytes are shown as \n, \t, \x1b,
// \u202e, \xff; backslashes are kept. Library messages already carry names
// quoted by that rule, and the pass leaves them unchanged (it is
// idempotent), so nothing is escaped twice; it catches what is still raw: a
// path as the user typed it, a third-party plugin's unquoted text. Everything
// the tool prints for a person goes through it: errors and warnings
// (errors.cpp, escaping_log_sink.cpp), progress labels, and the names in
// tables. JSON output is not escaped this way (it is JSON).
std::string printable(std::string_view text);

// Left-aligned columns separated by two spaces; `right` marks the columns to
// right-align (numbers). The first row is the header.
void print_table(std::ostream &out, const std::vector<std::vector<std::string>> &rows,
                 const std::vector<bool> &right);
// The same for rows made on demand, so a table of a million rows needs the
// memory of one: `row(i, cells)` fills `cells` with row i (0 is the header)
// of `rows`. It is called twice per row (widths, then output) and must give
// the same cells both times.
void print_table(std::ostream &out, size_t rows,
                 const std::function<void(size_t, std::vector<std::string> &)> &row,
                 const std::vector<bool> &right);

} // namespace wcli
