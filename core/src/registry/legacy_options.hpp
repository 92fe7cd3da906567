// The one place the core names a plugin's option: the zip64 save option
// behind 0.1's SaveOptions::force_zip64 and ABI 1's WIO_WRITE_FORCE_ZIP64
// flag. Everything else about format options is the plugin's to declare.
#pragma once

#include "registry/format_options.hpp"

#include <weightio/io.hpp>
#include <weightio/registry.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace weightio::detail {

// The caller's format options, plus zip64=true when the deprecated
// SaveOptions::force_zip64 asks for it and the format declares a zip64 save
// option (an explicit format_options["zip64"] wins).
std::map<std::string, std::string> save_option_text(const FormatInfo &f, const SaveOptions &o);

// wio_write_request.flags for the resolved options: WIO_WRITE_FORCE_ZIP64
// when zip64=true or force_zip64 is set, since ABI-1 writers learn of 64-bit
// records only from that flag.
uint32_t legacy_write_flags(const OptionList &resolved, const SaveOptions &o);

} // namespace weightio::detail
