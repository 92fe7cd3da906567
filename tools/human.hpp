// Text formatting shared by the commands: sizes, rates, shapes, tables.
#pragma once

#include <weightio/tensor.hpp>

#include <cstdint>
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
// Names and metadata come from files: control characters and invalid UTF-8
// would garble a terminal, so they are shown escaped (\n, \x01).
std::string printable(std::string_view text);

// Left-aligned columns separated by two spaces; `right` marks the columns to
// right-align (numbers). The first row is the header.
void print_table(std::ostream &out, const std::vector<std::vector<std::string>> &rows,
                 const std::vector<bool> &right);

} // namespace wcli
