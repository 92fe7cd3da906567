#include "registry/format_options.hpp"

#include <weightio/error.hpp>
#include <weightio/quoted.hpp>

#include <algorithm>
#include <charconv>

namespace weightio {

std::string_view option_type_name(FormatOption::Type t) noexcept {
  switch (t) {
  case FormatOption::Type::Bool:
    return "bool";
  case FormatOption::Type::Int:
    return "int";
  default:
    return "string";
  }
}

namespace detail {

FormatOption option_from_decl(const wio_option_decl &d) {
  FormatOption o;
  o.name = d.name;
  o.description = d.description ? d.description : "";
  o.type = d.type == WIO_OPTION_BOOL  ? FormatOption::Type::Bool
           : d.type == WIO_OPTION_INT ? FormatOption::Type::Int
                                      : FormatOption::Type::String;
  o.for_save = d.flags & WIO_OPTION_SAVE;
  o.for_load = d.flags & WIO_OPTION_LOAD;
  o.default_value = d.default_value ? d.default_value : "";
  if (d.type == WIO_OPTION_STRING && d.choices != nullptr)
    for (size_t i = 0; d.choices[i] != nullptr; ++i)
      o.choices.emplace_back(d.choices[i]);
  if (d.type == WIO_OPTION_INT) {
    o.min = d.min;
    o.max = d.max;
  }
  return o;
}

std::string canonical_option(const FormatOption &o, std::string_view text, std::string &canonical) {
  switch (o.type) {
  case FormatOption::Type::Bool: {
    std::string t(text);
    std::transform(t.begin(), t.end(), t.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (t == "true" || t == "1" || t == "yes" || t == "on")
      canonical = "true";
    else if (t == "false" || t == "0" || t == "no" || t == "off")
      canonical = "false";
    else
      return sdk::quoted(text) + " is not a bool (true or false)";
    return {};
  }
  case FormatOption::Type::Int: {
    int64_t v = 0;
    const char *end = text.data() + text.size();
    auto [p, ec] = std::from_chars(text.data(), end, v);
    if (text.empty() || ec != std::errc() || p != end)
      return sdk::quoted(text) + " is not an integer";
    if (v < o.min || v > o.max)
      return std::to_string(v) + " is not in " + std::to_string(o.min) + ".." +
             std::to_string(o.max);
    canonical = std::to_string(v);
    return {};
  }
  default:
    if (!o.choices.empty() &&
        std::find(o.choices.begin(), o.choices.end(), text) == o.choices.end()) {
      std::string list;
      for (const auto &c : o.choices)
        list += (list.empty() ? "" : ", ") + c;
      return sdk::quoted(text) + " is not one of " + list;
    }
    canonical = std::string(text);
    return {};
  }
}

std::string validate_option_text(const wio_option_decl &d, const char *text) {
  if (d.type != WIO_OPTION_BOOL && d.type != WIO_OPTION_INT && d.type != WIO_OPTION_STRING)
    return "has an unknown option type " + std::to_string(d.type);
  if (d.type == WIO_OPTION_INT && d.min > d.max)
    return "has an empty range";
  std::string canonical;
  return canonical_option(option_from_decl(d), text, canonical);
}

std::vector<wio_kv> c_options(const OptionList &options) {
  std::vector<wio_kv> out;
  out.reserve(options.size());
  for (const auto &[k, v] : options)
    out.push_back({{k.data(), k.size()}, {v.data(), v.size()}});
  return out;
}

std::string describe_options(const FormatInfo &format, bool save) {
  std::string out;
  for (const auto &o : format.options) {
    if (save ? !o.for_save : !o.for_load)
      continue;
    out += "\n  " + o.name + " (" + std::string(option_type_name(o.type));
    if (o.type == FormatOption::Type::Int)
      out += " " + std::to_string(o.min) + ".." + std::to_string(o.max);
    if (!o.choices.empty()) {
      std::string list;
      for (const auto &c : o.choices)
        list += (list.empty() ? "" : "|") + c;
      out += ": " + list;
    }
    out += ", default " + o.default_value + ")";
    if (!o.description.empty())
      out += ": " + o.description;
  }
  return out.empty() ? " none" : out;
}

OptionList resolve_options(const FormatInfo &format,
                           const std::map<std::string, std::string> &given, bool save,
                           const std::string &file) {
  const char *action = save ? "save" : "load";
  auto applies = [save](const FormatOption &o) { return save ? o.for_save : o.for_load; };
  for (const auto &entry : given) {
    const std::string &name = entry.first; // a plain reference: lambdas capture it
    auto it = std::find_if(format.options.begin(), format.options.end(),
                           [&](const FormatOption &o) { return o.name == name && applies(o); });
    if (it == format.options.end())
      throw UnsupportedError(ErrorCode::UnsupportedOption,
                             "cannot " + std::string(action) + " '" + file + "': the " +
                                 format.name + " format has no " + action + " option " +
                                 sdk::quoted(name) + "; its " + action +
                                 " options:" + describe_options(format, save),
                             file);
  }
  OptionList out;
  for (const auto &o : format.options) {
    if (!applies(o))
      continue;
    auto g = given.find(o.name);
    std::string canonical = o.default_value;
    if (g != given.end())
      if (auto why = canonical_option(o, g->second, canonical); !why.empty())
        throw UnsupportedError(ErrorCode::UnsupportedOption,
                               "cannot " + std::string(action) + " '" + file + "': " + format.name +
                                   " option " + sdk::quoted(o.name) + ": " + why + "; its " +
                                   action + " options:" + describe_options(format, save),
                               file);
    out.emplace_back(o.name, std::move(canonical));
  }
  return out;
}

int32_t dequantize_request(const FormatInfo &format, const std::optional<DType> &to,
                           const std::string &file) {
  if (!to)
    return WIO_DEQUANTIZE_NONE;
  const auto &can = format.dequantize_dtypes;
  if (std::find(can.begin(), can.end(), *to) != can.end())
    return static_cast<int32_t>(*to);
  std::string why;
  if (can.empty()) {
    why = "the " + format.name + " format cannot dequantize (LoadOptions::dequantize): " +
          (format.block_types.empty() ? "it holds no block-quantized types"
                                      : "its plugin declares no dtypes to dequantize to");
  } else {
    std::string names;
    for (DType d : can)
      names += (names.empty() ? "" : ", ") + std::string(dtype_name(d));
    why = "the " + format.name + " format dequantizes to " + names + ", not " +
          std::string(dtype_name(*to));
  }
  throw UnsupportedError(ErrorCode::UnsupportedOption, "cannot load '" + file + "': " + why, file);
}

} // namespace detail

} // namespace weightio
