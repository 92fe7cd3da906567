// Format options: declared by plugins (wio_option_decl), given by callers as
// NAME -> text, validated and put in canonical form by the core before a
// plugin sees them.
#pragma once

#include <weightio/plugin_abi.h>
#include <weightio/registry.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weightio::detail {

// The C declaration as the core keeps it. Precondition: checked.
FormatOption option_from_decl(const wio_option_decl &d);

// Puts `text` in canonical form for `o` (BOOL "true"/"false" from
// true/false/1/0/yes/no/on/off; INT decimal within range). Returns an empty
// string and sets `canonical`, or returns why it is invalid.
std::string canonical_option(const FormatOption &o, std::string_view text, std::string &canonical);

// For a descriptor check: why the text is invalid for the declaration, or
// empty.
std::string validate_option_text(const wio_option_decl &d, const char *text);

using OptionList = std::vector<std::pair<std::string, std::string>>;

// Every option of `format` for saving (save = true) or loading, canonical,
// with the caller's values where given and defaults elsewhere, in
// declaration order. Throws UnsupportedError(UnsupportedOption) naming
// `file`, the option and the valid ones for an unknown name or an invalid
// value.
OptionList resolve_options(const FormatInfo &format,
                           const std::map<std::string, std::string> &given, bool save,
                           const std::string &file);

// The C view of `options` for a read or write request: pairs pointing into
// `options`, which must outlive it and stay unchanged.
std::vector<wio_kv> c_options(const OptionList &options);

// The wio_read_request.dequantize of a load: WIO_DEQUANTIZE_NONE, or the
// dtype LoadOptions::dequantize asks for. Throws UnsupportedError
// (UnsupportedOption) naming `file` and the format when the format cannot
// dequantize to it.
int32_t dequantize_request(const FormatInfo &format, const std::optional<DType> &to,
                           const std::string &file);

// One line per option: "zip64 (bool, default false): ...", for messages.
std::string describe_options(const FormatInfo &format, bool save);

} // namespace weightio::detail
