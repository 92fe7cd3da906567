// weightio plugins [--json]: its schema (docs/CLI.md, "plugins"), agreement with the
// registry, and plugins that failed to load.
#include "cli_support.hpp"
#include "plugin_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::set<std::string> keys(const json &j) {
  std::set<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it)
    out.insert(it.key());
  return out;
}

// Exactly the keys and types of the schema in docs/CLI.md.
void expect_schema(const json &j) {
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(keys(j), (std::set<std::string>{"plugins", "failed", "conflicts"}));
  EXPECT_TRUE(j.at("conflicts").is_array());
  ASSERT_TRUE(j.at("plugins").is_array());
  ASSERT_TRUE(j.at("failed").is_array());
  for (const auto &p : j.at("plugins")) {
    EXPECT_EQ(keys(p),
              (std::set<std::string>{"name", "version", "path", "abi_version", "formats"}));
    EXPECT_TRUE(p.at("name").is_string());
    EXPECT_TRUE(p.at("version").is_string());
    EXPECT_TRUE(p.at("path").is_string());
    EXPECT_TRUE(p.at("abi_version").is_number_unsigned());
    ASSERT_TRUE(p.at("formats").is_array());
    for (const auto &f : p.at("formats")) {
      EXPECT_EQ(keys(f), (std::set<std::string>{
                             "name", "extensions", "can_read", "can_write", "dtypes", "metadata",
                             "compression", "metadata_types", "max_array_depth", "block_types",
                             "dequantize_dtypes", "options", "limits", "probe_bytes"}));
      EXPECT_TRUE(f.at("max_array_depth").is_number_unsigned());
      for (const auto &d : f.at("dequantize_dtypes"))
        EXPECT_TRUE(weightio::dtype_from_name(d.get<std::string>())) << d;
      for (const auto &b : f.at("block_types"))
        EXPECT_EQ(keys(b),
                  (std::set<std::string>{"name", "block_elements", "block_bytes", "alignment"}));
      EXPECT_TRUE(f.at("options").is_array());
      EXPECT_TRUE(f.at("block_types").is_array());
      EXPECT_TRUE(f.at("limits").is_object());
      EXPECT_TRUE(f.at("name").is_string());
      EXPECT_TRUE(f.at("extensions").is_array());
      for (const auto &e : f.at("extensions"))
        EXPECT_TRUE(e.is_string());
      EXPECT_TRUE(f.at("can_read").is_boolean());
      EXPECT_TRUE(f.at("can_write").is_boolean());
      EXPECT_TRUE(f.at("metadata").is_boolean());
      EXPECT_TRUE(f.at("compression").is_boolean());
      for (const auto &d : f.at("dtypes"))
        EXPECT_TRUE(weightio::dtype_from_name(d.get<std::string>())) << d;
    }
  }
  for (const auto &f : j.at("failed")) {
    EXPECT_EQ(keys(f), (std::set<std::string>{"path", "error"}));
    EXPECT_TRUE(f.at("path").is_string());
    EXPECT_FALSE(f.at("error").get<std::string>().empty());
  }
}

const json *plugin_named(const json &j, const std::string &name) {
  for (const auto &p : j.at("plugins"))
    if (p.at("name") == name)
      return &p;
  return nullptr;
}

TEST(CliPlugins, JsonFollowsTheSchemaAndAgreesWithTheRegistry) {
  auto r = run_cli({"plugins", "--json"}, {"WEIGHTIO_PLUGIN_PATH="});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const json j = json::parse(r.out);
  expect_schema(j);
  ASSERT_TRUE(plugin_named(j, "npz")) << r.out;
  ASSERT_TRUE(plugin_named(j, "safetensors")) << r.out;

  // This process's registry found the same plugins in the same folder (it may
  // hold more: other tests add test plugins).
  const auto loaded = weightio::loaded_plugins();
  for (const auto &p : j.at("plugins")) {
    const weightio::PluginInfo *info = nullptr;
    for (const auto &l : loaded)
      if (l.path == fs::path(p.at("path").get<std::string>()))
        info = &l;
    ASSERT_NE(info, nullptr) << p.at("path");
    EXPECT_EQ(p.at("name"), info->name);
    EXPECT_EQ(p.at("version"), info->version);
    EXPECT_EQ(p.at("abi_version"), info->abi_version);
    ASSERT_EQ(p.at("formats").size(), info->formats.size());
    for (size_t i = 0; i < info->formats.size(); ++i) {
      const auto &f = p.at("formats").at(i);
      const auto &fi = info->formats[i];
      EXPECT_EQ(f.at("name"), fi.name);
      EXPECT_EQ(f.at("extensions").get<std::vector<std::string>>(), fi.extensions);
      EXPECT_EQ(f.at("can_read"), fi.can_read);
      EXPECT_EQ(f.at("can_write"), fi.can_write);
      EXPECT_EQ(f.at("metadata"), fi.metadata);
      EXPECT_EQ(f.at("compression"), fi.compression);
      std::vector<std::string> dtypes;
      for (auto d : fi.write_dtypes)
        dtypes.emplace_back(weightio::dtype_name(d));
      EXPECT_EQ(f.at("dtypes").get<std::vector<std::string>>(), dtypes);
    }
  }
}

TEST(CliPlugins, ListsPluginsFromTheEnvironmentAndThoseThatFailed) {
  const std::string rawt = wtest::test_plugin("rawt").string();
  const std::string future = wtest::test_plugin("future_abi").string();
  const std::vector<std::string> env{"WEIGHTIO_PLUGIN_PATH=" + rawt + ":" + future};

  auto r = run_cli({"plugins", "--json"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  expect_schema(j);
  const json *p = plugin_named(j, "rawt");
  ASSERT_TRUE(p) << r.out;
  EXPECT_EQ(fs::canonical(p->at("path").get<std::string>()), fs::canonical(rawt));
  EXPECT_EQ(p->at("formats").at(0).at("extensions"), json::array({"rawt"}));
  bool found = false;
  for (const auto &f : j.at("failed"))
    found = found ||
            fs::path(f.at("path").get<std::string>()).filename() == fs::path(future).filename();
  EXPECT_TRUE(found) << r.out;

  // The text form says the same.
  auto t = run_cli({"plugins"}, env);
  ASSERT_EQ(t.exit_code, 0) << t.err;
  for (const char *word :
       {"npz", "safetensors", "gguf", "rawt", "weightio_future_abi.so", "failed"})
    EXPECT_NE(t.out.find(word), std::string::npos) << word << " missing:\n" << t.out;
}

TEST(CliPlugins, TextShowsCapabilitiesAndDtypes) {
  auto r = run_cli({"plugins"}, {"WEIGHTIO_PLUGIN_PATH="});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto &p : weightio::loaded_plugins()) {
    if (p.name != "npz" && p.name != "safetensors" && p.name != "gguf")
      continue;
    EXPECT_NE(r.out.find(p.path.string()), std::string::npos) << r.out;
    for (const auto &f : p.formats)
      for (auto d : f.write_dtypes)
        EXPECT_NE(r.out.find(std::string(" ") + std::string(weightio::dtype_name(d))),
                  std::string::npos)
            << weightio::dtype_name(d);
  }
}

TEST(CliPlugins, OtherCommandsUsePluginsFromTheEnvironment) {
  wtest::TempDir dir;
  wcli_test::save(dir / "m.npz", wcli_test::mixed_model());
  const std::vector<std::string> env{"WEIGHTIO_PLUGIN_PATH=" + wtest::test_plugin("rawt").string()};
  auto c = run_cli({"convert", (dir / "m.npz").string(), (dir / "m.rawt").string()}, env);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  auto v = run_cli({"diff", (dir / "m.npz").string(), (dir / "m.rawt").string()}, env);
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  // Without the plugin, the same file has no reader: exit 2, saying so.
  auto none = run_cli({"verify", (dir / "m.rawt").string()}, {"WEIGHTIO_PLUGIN_PATH="});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("m.rawt"), std::string::npos) << none.err;
}

} // namespace
