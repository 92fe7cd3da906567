// Typed metadata as people and machines see it: inspect's text column and
// the JSON list of {"key", "type", "value"} objects (the shape of the
// conformance vectors' `metadata` lists).
#pragma once

#include <weightio/metadata.hpp>

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>

namespace wcli {

// One line: strings as they are (escaped for the terminal), numbers and
// bools in full, short arrays listed, long ones abbreviated as
// "[STRING x 32000]".
std::string value_text(const weightio::Value &v);

// Exact: 64-bit integers as JSON integers, floats as numbers (FLOAT32 as its
// exact value as a double), non-finite ones as "nan", "inf", "-inf".
nlohmann::ordered_json metadata_json(const weightio::Metadata &m);
// One item of that list.
nlohmann::ordered_json metadata_entry_json(const std::string &key, const weightio::Value &v);
// The same item written compact to `out`, as print_json writes it, without
// building it as a JSON value when it is a string (inspect streams millions).
void write_metadata_entry(std::ostream &out, const std::string &key, const weightio::Value &v);

} // namespace wcli
