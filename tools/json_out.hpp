// JSON output that stays readable: the outer levels indented, inner values on
// one line each (a tensor, a plugin's format), so a shape or a dtype list
// doesn't take a line per number.
#pragma once

#include <weightio/tensor.hpp>

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string_view>

namespace wcli {

// Writes `j` followed by a newline. Containers shallower than `expand_depth`
// (the top level is depth 0) are spread over lines; deeper ones are compact.
// Invalid UTF-8 in strings (names come from files) is replaced, not fatal.
void print_json(std::ostream &out, const nlohmann::ordered_json &j, int expand_depth);

// `s` as a JSON string, exactly as print_json writes it (invalid UTF-8
// replaced by U+FFFD), without building a JSON value for it.
void write_json_string(std::ostream &out, std::string_view s);

// The opening fields every tensor item of inspect and verify has, without
// the closing brace: {"name":...,"dtype":...,"shape":[...],"nbytes":N
void write_tensor_fields(std::ostream &out, std::string_view name, const weightio::Tensor &t);

// The "schema" member of each report; a later version of a schema only adds
// fields (docs/CLI.md, "JSON output").
inline constexpr std::string_view kInspectSchema = "weightio.inspect/1";
inline constexpr std::string_view kVerifySchema = "weightio.verify/1";

// Streams a top-level object in print_json's layout with expand_depth 2, for
// reports too large to build as one JSON value first (a million tensors):
// members one per line, array members one compact item per line. Nothing is
// kept per item. The caller writes each item itself after item().
class JsonObjectStream {
public:
  // Writes the opening brace.
  explicit JsonObjectStream(std::ostream &out);
  // A member laid out as print_json(out, j, 2) lays out a member of the top
  // level (its containers spread one level further).
  void member(std::string_view key, const nlohmann::ordered_json &value);
  // Starts an array member; end_array() closes it ("[]" when it had no item).
  void begin_array(std::string_view key);
  // Starts one item of the open array; write it compact to the stream returned.
  std::ostream &item();
  void end_array();
  // Closes the object and writes the final newline.
  void finish();

private:
  void next_member(std::string_view key);
  std::ostream &out_;
  bool first_member_ = true;
  bool first_item_ = true;
};

} // namespace wcli
