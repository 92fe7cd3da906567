#include "json_out.hpp"

#include <ostream>
#include <string>

namespace wcli {

namespace {

std::string compact(const nlohmann::ordered_json &j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write(std::ostream &out, const nlohmann::ordered_json &j, int depth, int expand_depth) {
  const bool container = j.is_object() || j.is_array();
  if (!container || depth >= expand_depth || j.empty()) {
    out << compact(j);
    return;
  }
  const std::string pad(2 * static_cast<size_t>(depth + 1), ' ');
  out << (j.is_object() ? "{\n" : "[\n");
  bool first = true;
  for (auto it = j.begin(); it != j.end(); ++it) {
    out << (first ? "" : ",\n") << pad;
    first = false;
    if (j.is_object())
      out << compact(it.key()) << ": ";
    write(out, *it, depth + 1, expand_depth);
  }
  out << '\n' << std::string(2 * static_cast<size_t>(depth), ' ') << (j.is_object() ? '}' : ']');
}

} // namespace

void print_json(std::ostream &out, const nlohmann::ordered_json &j, int expand_depth) {
  write(out, j, 0, expand_depth);
  out << '\n';
}

} // namespace wcli
