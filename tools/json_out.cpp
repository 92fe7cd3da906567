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
      write_json_string(out, it.key());
    if (j.is_object())
      out << ": ";
    write(out, *it, depth + 1, expand_depth);
  }
  out << '\n' << std::string(2 * static_cast<size_t>(depth), ' ') << (j.is_object() ? '}' : ']');
}

} // namespace

void print_json(std::ostream &out, const nlohmann::ordered_json &j, int expand_depth) {
  write(out, j, 0, expand_depth);
  out << '\n';
}

void write_json_string(std::ostream &out, std::string_view s) {
  // Printable ASCII other than the quote and the backslash is written as it
  // is by every JSON writer; anything else goes through nlohmann, so escapes
  // and the replacement of invalid UTF-8 stay exactly print_json's.
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7F || c == '"' || c == '\\') {
      out << compact(nlohmann::ordered_json(std::string(s)));
      return;
    }
  }
  out << '"' << s << '"';
}

void write_tensor_fields(std::ostream &out, std::string_view name, const weightio::Tensor &t) {
  out << "{\"name\":";
  write_json_string(out, name);
  out << ",\"dtype\":";
  write_json_string(out, t.type_name());
  out << ",\"shape\":[";
  const char *sep = "";
  for (const int64_t e : t.shape()) {
    out << sep << e;
    sep = ",";
  }
  out << "],\"nbytes\":" << t.nbytes();
  // Only formats with storages (PyTorch) declare one: tensors that share
  // it (tied weights, views) show the same number.
  if (t.storage() != 0)
    out << ",\"storage\":" << t.storage();
}

JsonObjectStream::JsonObjectStream(std::ostream &out) : out_(out) {
  out_ << '{';
}

void JsonObjectStream::next_member(std::string_view key) {
  out_ << (first_member_ ? "\n  " : ",\n  ");
  first_member_ = false;
  write_json_string(out_, key);
  out_ << ": ";
}

void JsonObjectStream::member(std::string_view key, const nlohmann::ordered_json &value) {
  next_member(key);
  write(out_, value, 1, 2);
}

void JsonObjectStream::begin_array(std::string_view key) {
  next_member(key);
  out_ << '[';
  first_item_ = true;
}

std::ostream &JsonObjectStream::item() {
  out_ << (first_item_ ? "\n    " : ",\n    ");
  first_item_ = false;
  return out_;
}

void JsonObjectStream::end_array() {
  out_ << (first_item_ ? "]" : "\n  ]");
}

void JsonObjectStream::finish() {
  out_ << (first_member_ ? "}\n" : "\n}\n");
}

} // namespace wcli
