// The one formatter of the bundled plugins' refusal kinds (safetensors'
// HeaderError, npz's NpzError, the ZIP library's ZipError): each kind enum
// gives a fixed phrase through phrase(kind), found by argument-dependent
// lookup, and the message is "<phrase>[ '<subject>']: <detail>".
#pragma once

#include <weightio/quoted.hpp>

#include <string>
#include <string_view>

namespace weightio::common {

template <class Kind>
std::string kind_message(Kind kind, std::string_view detail, std::string_view subject = {}) {
  std::string out(phrase(kind));
  if (!subject.empty())
    out.append(" ").append(sdk::quoted(subject));
  if (!detail.empty())
    out.append(": ").append(detail);
  return out;
}

} // namespace weightio::common
