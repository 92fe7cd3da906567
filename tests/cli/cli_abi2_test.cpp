// The CLI side of plugin ABI 2: an ABI-1 plugin binary still works, typed
// metadata dropped by name, format options (--option / --input-option),
// warnings on stderr, and --plugin settling two plugins' conflict in every
// command that takes a file.
#include "cli_support.hpp"
#include "plugin_fixture.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

using wcli_test::run_cli;
namespace fs = std::filesystem;

namespace {

std::string plugin_path_env(std::initializer_list<fs::path> paths) {
  std::string s = "WEIGHTIO_PLUGIN_PATH=";
  bool first = true;
  for (const auto &p : paths) {
    s += (first ? "" : ":") + p.string();
    first = false;
  }
  return s;
}

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

size_t count_of(const std::string &haystack, const std::string &needle) {
  size_t n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

bool has_zip64_end_record(const fs::path &file) {
  const auto bytes = wtest::read_bytes(file);
  const std::string sig = "PK\x06\x06";
  return std::search(bytes.begin(), bytes.end(), sig.begin(), sig.end()) != bytes.end();
}

} // namespace

// A plugin binary built from the frozen ABI-1 header and examples/c_plugin
// as weightio 0.1 shipped them, driven by this (ABI-2) weightio.
TEST(CliAbi2, AnAbi1PluginBinaryLoadsSavesAndLoads) {
  wtest::TempDir dir;
  const auto env = plugin_path_env({fs::path(WEIGHTIO_TEST_PLUGIN_DIR) / "abi1"});
  auto p = run_cli({"plugins", "--json"}, {env});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto j = nlohmann::json::parse(p.out);
  bool found = false;
  for (const auto &pl : j.at("plugins"))
    if (pl.at("name") == "rawt") {
      EXPECT_EQ(pl.at("abi_version"), 1);
      found = true;
    }
  ASSERT_TRUE(found) << p.out;

  wcli_test::save(dir / "in.safetensors", wcli_test::mixed_model(3));
  auto a =
      run_cli({"convert", (dir / "in.safetensors").string(), (dir / "m.rawt").string()}, {env});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto b =
      run_cli({"convert", (dir / "m.rawt").string(), (dir / "back.safetensors").string()}, {env});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto d = run_cli({"diff", (dir / "in.safetensors").string(), (dir / "back.safetensors").string()},
                   {env});
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;
  EXPECT_TRUE(wcli_test::same_tensors(weightio::load_weights(dir / "in.safetensors"),
                                      weightio::load_weights(dir / "back.safetensors")));
}

TEST(CliAbi2, ConvertNamesTheMetadataItDropsWithItsType) {
  wtest::TempDir dir;
  const auto env = plugin_path_env({wtest::test_plugin("typed")});
  wtest::load_test_plugin("typed");
  weightio::Metadata md;
  md["general.name"] = "tiny";
  md["llama.block_count"] = weightio::Value::unsigned_integer(weightio::ValueType::U32, 2);
  wcli_test::save(dir / "m.typed", wcli_test::mixed_model(), md);

  auto st =
      run_cli({"convert", (dir / "m.typed").string(), (dir / "m.safetensors").string()}, {env});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_TRUE(contains(st.err, "'llama.block_count' (UINT32)")) << st.err;
  EXPECT_FALSE(contains(st.err, "'general.name'")) << st.err; // a string: kept
  const auto w = weightio::load_weights(dir / "m.safetensors");
  EXPECT_EQ(w.metadata.at("general.name").as_string(), "tiny");
  EXPECT_FALSE(w.metadata.contains("llama.block_count"));

  auto npz = run_cli({"convert", (dir / "m.typed").string(), (dir / "m.npz").string()}, {env});
  ASSERT_EQ(npz.exit_code, 0) << npz.err;
  EXPECT_TRUE(contains(npz.err, "holds no metadata")) << npz.err;
  EXPECT_TRUE(contains(npz.err, "'general.name'")) << npz.err;
  EXPECT_TRUE(contains(npz.err, "'llama.block_count'")) << npz.err;
}

TEST(CliAbi2, Zip64IsAnNpzSaveOption) {
  wtest::TempDir dir;
  wcli_test::save(dir / "in.safetensors", wcli_test::mixed_model());
  const std::string in = (dir / "in.safetensors").string();
  ASSERT_EQ(run_cli({"convert", in, (dir / "plain.npz").string()}).exit_code, 0);
  EXPECT_FALSE(has_zip64_end_record(dir / "plain.npz"));
  auto r = run_cli({"convert", in, (dir / "z.npz").string(), "--option", "zip64=true"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has_zip64_end_record(dir / "z.npz"));
  EXPECT_TRUE(wcli_test::same_tensors(weightio::load_weights(dir / "z.npz"),
                                      weightio::load_weights(dir / "plain.npz")));

  auto unknown = run_cli({"convert", in, (dir / "u.npz").string(), "--option", "zip65=true"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "no save option 'zip65'")) << unknown.err;
  EXPECT_TRUE(contains(unknown.err, "zip64 (bool, default false)")) << unknown.err;
  EXPECT_FALSE(fs::exists(dir / "u.npz"));
  auto wrong = run_cli({"convert", in, (dir / "w.npz").string(), "--option", "zip64=maybe"});
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_TRUE(contains(wrong.err, "'maybe' is not a bool")) << wrong.err;
  EXPECT_FALSE(fs::exists(dir / "w.npz"));
  auto load_opt = run_cli({"inspect", in, "--input-option", "zip64=true"});
  EXPECT_EQ(load_opt.exit_code, 2) << load_opt.err;
  EXPECT_TRUE(contains(load_opt.err, "no load option 'zip64'")) << load_opt.err;
}

TEST(CliAbi2, PluginsJsonListsOptionsBlockTypesAndLimits) {
  const auto env = plugin_path_env({wtest::test_plugin("typed")});
  auto r = run_cli({"plugins", "--json"}, {env});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  bool npz = false, typed = false;
  for (const auto &p : j.at("plugins"))
    for (const auto &f : p.at("formats")) {
      if (f.at("name") == "npz") {
        npz = true;
        ASSERT_EQ(f.at("options").size(), 1u);
        EXPECT_EQ(f.at("options")[0].at("name"), "zip64");
        EXPECT_EQ(f.at("options")[0].at("type"), "bool");
        EXPECT_EQ(f.at("options")[0].at("for"), "save");
        EXPECT_EQ(f.at("options")[0].at("default"), "false");
      }
      if (f.at("name") == "typed") {
        typed = true;
        EXPECT_EQ(f.at("block_types")[0].at("name"), "test.Q8");
        EXPECT_EQ(f.at("block_types")[0].at("block_bytes"), 34);
        EXPECT_EQ(f.at("limits").at("max_ndim"), 4);
        EXPECT_EQ(f.at("limits").at("zero_outer_dims"), false);
        EXPECT_EQ(f.at("options").size(), 4u);
      }
    }
  EXPECT_TRUE(npz && typed) << r.out;
  EXPECT_TRUE(j.at("conflicts").empty());
}

TEST(CliAbi2, PluginWarningsArePrintedOnceOnStderr) {
  wtest::TempDir dir;
  const auto env = plugin_path_env({wtest::test_plugin("typed")});
  wtest::load_test_plugin("typed");
  weightio::Metadata md;
  md["a"] = "1";
  wcli_test::save(dir / "m.typed", wcli_test::mixed_model(), md);
  for (const char *cmd : {"inspect", "verify"}) {
    auto r = run_cli({cmd, (dir / "m.typed").string()}, {env});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count_of(r.err, "1 metadata values read"), 1u) << cmd << ": " << r.err;
  }
  auto c = run_cli({"convert", (dir / "m.typed").string(), (dir / "n.typed").string()}, {env});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(count_of(c.err, "1 metadata values read"), 1u) << c.err;
  EXPECT_EQ(count_of(c.err, "1 metadata values written"), 1u) << c.err;
}

// dup_a and dup_b claim the extension .dup and the magic WIOTDUP1; neither
// can really read or write, so which one ran shows in the error.
TEST(CliAbi2, PluginFlagSettlesATwoPluginConflictInEveryCommand) {
  wtest::TempDir dir;
  const auto env = plugin_path_env({wtest::test_plugin("dup_a"), wtest::test_plugin("dup_b")});
  const std::string x = (dir / "x.dup").string();
  const std::string magic = (dir / "x.bin").string();
  wtest::write_bytes(x, {'W', 'I', 'O', 'T', 'D', 'U', 'P', '1', 0, 0});
  wtest::write_bytes(magic, {'W', 'I', 'O', 'T', 'D', 'U', 'P', '1', 0, 0});
  // The dup formats declare F32 only.
  std::vector<float> w(4, 1.0f);
  weightio::FlatParams f32;
  f32.emplace("w", weightio::TensorView(weightio::DType::F32, {4}, w.data()));
  weightio::save_weights(dir / "in.safetensors", f32);
  const std::string in = (dir / "in.safetensors").string();
  const std::string out = (dir / "out.dup").string();

  auto plugins = run_cli({"plugins"}, {env});
  EXPECT_TRUE(contains(plugins.out, "warning: extension '.dup' is claimed by plugins dup_a, dup_b"))
      << plugins.out;

  const std::vector<std::vector<std::string>> commands = {
      {"inspect", x}, {"verify", x}, {"inspect", magic}, {"diff", x, in}, {"convert", in, out}};
  for (const auto &args : commands) {
    auto conflict = run_cli(args, {env});
    EXPECT_EQ(conflict.exit_code, 2) << args[0];
    EXPECT_TRUE(contains(conflict.err, "claimed by two plugins")) << conflict.err;
    EXPECT_TRUE(contains(conflict.err, "--plugin")) << conflict.err;
    for (const std::string who : {"dup_a", "dup_b"}) {
      auto with = args;
      with.insert(with.end(), {"--plugin", who});
      auto r = run_cli(with, {env});
      EXPECT_NE(r.exit_code, 0) << args[0];
      EXPECT_TRUE(contains(r.err, "not implemented")) << args[0] << ": " << r.err;
      EXPECT_TRUE(contains(r.err, "[" + who + " plugin")) << args[0] << ": " << r.err;
      EXPECT_FALSE(contains(r.err, "claimed by two plugins")) << r.err;
    }
  }
  auto unknown = run_cli({"inspect", x, "--plugin", "nosuch"}, {env});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(contains(unknown.err, "no loaded plugin or format has that name")) << unknown.err;
}

TEST(CliAbi2, AFileNamedForOneFormatThatHoldsAnotherGetsALooksLikeHint) {
  wtest::TempDir dir;
  wcli_test::save(dir / "real.npz", wcli_test::mixed_model());
  wcli_test::save(dir / "real.safetensors", wcli_test::mixed_model());
  fs::copy_file(dir / "real.npz", dir / "zip.safetensors");
  fs::copy_file(dir / "real.safetensors", dir / "st.npz");
  auto a = run_cli({"inspect", (dir / "zip.safetensors").string()});
  EXPECT_EQ(a.exit_code, 1);
  EXPECT_TRUE(contains(a.err, "looks like a npz file: rename it or pass --plugin npz")) << a.err;
  auto b = run_cli({"verify", (dir / "st.npz").string()});
  EXPECT_EQ(b.exit_code, 1);
  EXPECT_TRUE(contains(b.err, "looks like a safetensors file")) << b.err;
  // Taking the hint works.
  auto c = run_cli({"inspect", (dir / "zip.safetensors").string(), "--plugin", "npz"});
  EXPECT_EQ(c.exit_code, 0) << c.err;
}
