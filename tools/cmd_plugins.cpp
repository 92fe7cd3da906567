// weightio plugins [--json]
#include "commands.hpp"
#include "human.hpp"
#include "json_out.hpp"

#include <weightio/weightio.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

namespace wcli {

namespace {

nlohmann::ordered_json dtype_names(const std::vector<weightio::DType> &dtypes) {
  auto j = nlohmann::ordered_json::array();
  for (auto d : dtypes)
    j.push_back(std::string(weightio::dtype_name(d)));
  return j;
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
      pj["formats"].push_back(std::move(fj));
    }
    j["plugins"].push_back(std::move(pj));
  }
  j["failed"] = nlohmann::ordered_json::array();
  for (const auto &f : failed)
    j["failed"].push_back({{"path", f.path.string()}, {"error", f.error}});
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
    }
  }
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
