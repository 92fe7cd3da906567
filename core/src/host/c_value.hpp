// Typed metadata across the C ABI: Value <-> wio_value.
#pragma once

#include <weightio/metadata.hpp>
#include <weightio/plugin_abi.h>
#include <weightio/registry.hpp>

#include <deque>
#include <string>
#include <vector>

namespace weightio::detail {

// Owns what the wio_values built from Values point to, for one call.
class ValueArena {
public:
  wio_value make(const Value &v);

private:
  std::deque<std::vector<uint8_t>> packed_;
  std::deque<std::vector<wio_str>> strings_;
  std::deque<std::vector<wio_value>> arrays_;
};

// Copies a plugin's value, checking it as untrusted data: known types, bool
// 0 or 1, non-null pointers, at most WIO_MAX_VALUE_DEPTH levels. Throws
// std::invalid_argument with the reason.
Value value_from_c(const wio_value &v);

// Whether a format holding `types` can hold `v`; else the type it can't.
bool value_fits(const Value &v, const std::vector<ValueType> &types, ValueType &missing);
// As above, for a format: its types, and arrays nested no deeper than its
// max_array_depth (else `missing` is Array).
bool value_fits(const Value &v, const FormatInfo &format, ValueType &missing);
// Why the format can't hold metadata value `key` for its nesting (phrased
// as a limit, max_array_depth), or empty when it can.
std::string depth_refusal(const std::string &key, const Value &v, const FormatInfo &format);

} // namespace weightio::detail
