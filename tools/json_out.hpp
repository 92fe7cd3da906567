// JSON output that stays readable: the outer levels indented, inner values on
// one line each (a tensor, a plugin's format), so a shape or a dtype list
// doesn't take a line per number.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>

namespace wcli {

// Writes `j` followed by a newline. Containers shallower than `expand_depth`
// (the top level is depth 0) are spread over lines; deeper ones are compact.
// Invalid UTF-8 in strings (names come from files) is replaced, not fatal.
void print_json(std::ostream &out, const nlohmann::ordered_json &j, int expand_depth);

} // namespace wcli
