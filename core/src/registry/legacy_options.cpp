#include "registry/legacy_options.hpp"

#include <weightio/plugin_abi.h>

#include <algorithm>

namespace weightio::detail {

namespace {

// Reading the deprecated field is this file's job; hosts get the warning.
bool force_zip64(const SaveOptions &o) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  return o.force_zip64;
#pragma GCC diagnostic pop
}

constexpr const char *kZip64 = "zip64";

} // namespace

std::map<std::string, std::string> save_option_text(const FormatInfo &f, const SaveOptions &o) {
  auto given = o.format_options;
  if (force_zip64(o) && !given.count(kZip64) &&
      std::any_of(f.options.begin(), f.options.end(),
                  [](const FormatOption &x) { return x.name == kZip64 && x.for_save; }))
    given[kZip64] = "true";
  return given;
}

uint32_t legacy_write_flags(const OptionList &resolved, const SaveOptions &o) {
  const bool zip64 = std::any_of(resolved.begin(), resolved.end(), [](const auto &kv) {
    return kv.first == kZip64 && kv.second == "true";
  });
  return (force_zip64(o) || zip64) ? WIO_WRITE_FORCE_ZIP64 : 0;
}

} // namespace weightio::detail
