// weightio plugins [--json]
#include "commands.hpp"
#include "human.hpp"
#include "json_out.hpp"

#include <weightio/weightio.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <set>

namespace wcli {

namespace {

nlohmann::ordered_json dtype_names(const std::vector<weightio::DType> &dtypes) {
  auto j = nlohmann::ordered_json::array();
  for (auto d : dtypes)
    j.push_back(std::string(weightio::dtype_name(d)));
  return j;
}

nlohmann::ordered_json options_json(const std::vector<weightio::FormatOption> &options) {
  auto j = nlohmann::ordered_json::array();
  for (const auto &o : options) {
    nlohmann::ordered_json oj;
    oj["name"] = o.name;
    oj["type"] = std::string(weightio::option_type_name(o.type));
    oj["for"] = o.for_save && o.for_load ? "save,load" : o.for_save ? "save" : "load";
    oj["default"] = o.default_value;
    if (o.type == weightio::FormatOption::Type::Int) {
      oj["min"] = o.min;
      oj["max"] = o.max;
    }
    if (!o.choices.empty())
      oj["choices"] = o.choices;
    oj["description"] = o.description;
    j.push_back(std::move(oj));
  }
  return j;
}

// Extensions and format names that formats of several plugins claim: the
// commands need --plugin for such files.
std::vector<std::string> conflicts(const std::vector<weightio::PluginInfo> &plugins) {
  std::map<std::string, std::set<std::string>> claims;
  for (const auto &p : plugins)
    for (const auto &f : p.formats) {
      claims["format '" + f.name + "'"].insert(p.name);
      for (const auto &e : f.extensions)
        claims["extension '." + e + "'"].insert(p.name);
    }
  std::vector<std::string> out;
  for (const auto &[what, who] : claims)
    if (who.size() > 1) {
      std::string names;
      for (const auto &n : who)
        names += (names.empty() ? "" : ", ") + n;
      out.push_back(what + " is claimed by plugins " + names + "; choose with --plugin NAME");
    }
  return out;
}

void print_json_report(const std::vector<weightio::PluginInfo> &plugins,
                       const std::vector<weightio::PluginFailure> &failed) {
  nlohmann::ordered_json j;
  j["plugins"] = nlohmann::ordered_json::array();
  for (const auto &p : plugins) {
    nlohmann::ordered_json pj;
    pj["name"] = p.name;
    pj["version"] = p.version;
    pj["path"] = p.path.string();
    pj["abi_version"] = p.abi_version;
    pj["formats"] = nlohmann::ordered_json::array();
    for (const auto &f : p.formats) {
      nlohmann::ordered_json fj;
      fj["name"] = f.name;
      fj["extensions"] = f.extensions;
      fj["can_read"] = f.can_read;
      fj["can_write"] = f.can_write;
      fj["dtypes"] = dtype_names(f.write_dtypes);
      fj["metadata"] = f.metadata;
      fj["compression"] = f.compression;
      auto types = nlohmann::ordered_json::array();
      for (auto t : f.metadata_types)
        types.push_back(std::string(weightio::value_type_name(t)));
      fj["metadata_types"] = std::move(types);
      fj["max_array_depth"] = f.max_array_depth;
      auto blocks = nlohmann::ordered_json::array();
      for (const auto *b : f.block_types)
        blocks.push_back({{"name", b->name},
                          {"block_elements", b->block_elements},
                          {"block_bytes", b->block_bytes},
                          {"alignment", b->alignment}});
      fj["block_types"] = std::move(blocks);
      fj["dequantize_dtypes"] = dtype_names(f.dequantize_dtypes);
      fj["options"] = options_json(f.options);
      const auto &l = f.limits;
      fj["limits"] = {{"min_ndim", l.min_ndim},
                      {"max_ndim", l.max_ndim},
                      {"zero_dims", l.zero_dims},
                      {"zero_outer_dims", l.zero_outer_dims},
                      {"max_name_bytes", l.max_name_bytes},
                      {"max_tensors", l.max_tensors},
                      {"max_metadata_value_bytes", l.max_metadata_value_bytes}};
      fj["probe_bytes"] = f.probe_bytes;
      pj["formats"].push_back(std::move(fj));
    }
    j["plugins"].push_back(std::move(pj));
  }
  j["failed"] = nlohmann::ordered_json::array();
  for (const auto &f : failed)
    j["failed"].push_back({{"path", f.path.string()}, {"error", f.error}});
  j["conflicts"] = conflicts(plugins);
  // One line per format (its dtype list included) and per failure.
  print_json(std::cout, j, 4);
}

std::string join(const std::vector<std::string> &items, const std::string &sep,
                 const std::string &prefix = "") {
  std::string s;
  for (const auto &i : items)
    s += (s.empty() ? "" : sep) + prefix + i;
  return s;
}

void print_text(const std::vector<weightio::PluginInfo> &plugins,
                const std::vector<weightio::PluginFailure> &failed) {
  if (plugins.empty())
    std::cout << "no format plugins are loaded\n";
  for (const auto &p : plugins) {
    std::cout << printable(p.name) << ' ' << printable(p.version) << " (ABI " << p.abi_version
              << ")\n"
              << "  path  " << printable(p.path.string()) << '\n';
    for (const auto &f : p.formats) {
      std::vector<std::string> caps;
      if (f.can_read)
        caps.push_back("read");
      if (f.can_write)
        caps.push_back("write");
      if (f.metadata)
        caps.push_back("metadata");
      if (f.compression)
        caps.push_back("compression");
      std::vector<std::string> dtypes;
      for (auto d : f.write_dtypes)
        dtypes.emplace_back(weightio::dtype_name(d));
      std::cout << "  format " << printable(f.name) << ": " << join(f.extensions, ", ", ".")
                << "  (" << join(caps, ", ") << ")\n";
      if (!f.description.empty())
        std::cout << "    " << printable(f.description) << '\n';
      if (f.can_write)
        std::cout << "    writes " << (dtypes.empty() ? "no dtypes" : join(dtypes, " ")) << '\n';
      if (f.metadata && !f.metadata_types.empty()) {
        std::vector<std::string> types;
        for (auto t : f.metadata_types)
          types.emplace_back(weightio::value_type_name(t));
        std::cout << "    metadata " << join(types, " ");
        if (f.max_array_depth != 0 &&
            std::find(f.metadata_types.begin(), f.metadata_types.end(),
                      weightio::ValueType::Array) != f.metadata_types.end())
          std::cout << " (arrays nested at most " << f.max_array_depth << " deep)";
        std::cout << '\n';
      }
      if (!f.block_types.empty()) {
        std::vector<std::string> blocks;
        for (const auto *b : f.block_types)
          blocks.push_back(b->name);
        std::cout << "    block types " << join(blocks, " ") << '\n';
      }
      if (!f.dequantize_dtypes.empty()) {
        std::vector<std::string> to;
        for (auto d : f.dequantize_dtypes)
          to.emplace_back(weightio::dtype_name(d));
        std::cout << "    dequantizes to " << join(to, " ") << '\n';
      }
      for (const auto &o : f.options) {
        std::string kind(weightio::option_type_name(o.type));
        if (o.type == weightio::FormatOption::Type::Int)
          kind += " " + std::to_string(o.min) + ".." + std::to_string(o.max);
        if (!o.choices.empty())
          kind = join(o.choices, "|");
        std::cout << "    "
                  << (o.for_save && o.for_load ? "save/load"
                      : o.for_save             ? "save"
                                               : "load")
                  << " option " << o.name << "=" << kind << " (default " << o.default_value << ")  "
                  << printable(o.description) << '\n';
      }
    }
  }
  for (const auto &c : conflicts(plugins))
    std::cout << "warning: " << c << '\n';
  if (!failed.empty()) {
    std::cout << "\nfailed to load:\n";
    for (const auto &f : failed)
      std::cout << "  " << printable(f.path.string()) << ": " << printable(f.error) << '\n';
  }
}

} // namespace

Command add_plugins(CLI::App &parent) {
  auto json = std::make_shared<bool>(false);
  auto *app = parent.add_subcommand(
      "plugins", "List the loaded format plugins (and those that failed to load, with why)");
  app->add_flag("--json", *json,
                "Print {plugins: [{name, version, path, abi_version, formats: [...]}], failed: "
                "[{path, error}]}");
  return {app, [json] {
            const auto plugins = weightio::loaded_plugins();
            const auto failed = weightio::failed_plugins();
            if (*json)
              print_json_report(plugins, failed);
            else
              print_text(plugins, failed);
            return 0;
          }};
}

} // namespace wcli
