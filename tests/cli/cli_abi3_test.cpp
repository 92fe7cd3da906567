// The CLI side of plugin ABI 3: a frozen ABI-2 plugin binary still works,
// arrays nested deeper than the output format holds are dropped by convert
// with a warning, `weightio plugins` shows the new declarations, --dequantize
// goes by the declared capability, and the conformance kit sends no deeper
// array than declared.
#include "cli_support.hpp"
#include "plugin_fixture.hpp"

#include <nlohmann/json.hpp>

#include <cstring>

using wcli_test::run_cli;
namespace fs = std::filesystem;
using namespace weightio;

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

const nlohmann::json *format_json(const nlohmann::json &j, const std::string &name) {
  for (const auto &p : j.at("plugins"))
    for (const auto &f : p.at("formats"))
      if (f.at("name") == name)
        return &f;
  return nullptr;
}

Metadata typed_metadata() {
  Metadata m;
  m["general.name"] = "tiny";
  m["count"] = Value::unsigned_integer(ValueType::U32, 7);
  m["scale"] = Value::f64(-0.25);
  m["list"] = Value::array(ValueType::I16,
                           {Value::integer(ValueType::I16, -3), Value::integer(ValueType::I16, 4)});
  m["deep"] = Value::array(ValueType::Array, {Value::array(ValueType::String, {"a", "b"}),
                                              Value::array(ValueType::String, {})});
  return m;
}

} // namespace

// The typed test plugin built from the frozen ABI-2 header and SDK, as
// weightio 0.2 shipped them, driven by this (ABI-3) weightio: it reads a
// file with typed metadata and a block-quantized tensor, writes it again
// (plainly and through its deferred decode) and every byte and value comes
// back.
TEST(CliAbi3, AnAbi2PluginBinaryLoadsSavesAndReadsBackUnchanged) {
  wtest::TempDir dir;
  const auto env = plugin_path_env({fs::path(WEIGHTIO_TEST_PLUGIN_DIR) / "abi2"});
  auto p = run_cli({"plugins", "--json"}, {env});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto j = nlohmann::json::parse(p.out);
  bool found = false;
  for (const auto &pl : j.at("plugins"))
    if (pl.at("name") == "typed") {
      EXPECT_EQ(pl.at("abi_version"), 2);
      EXPECT_TRUE(contains(pl.at("path").get<std::string>(), "abi2")) << pl;
      found = true;
    }
  ASSERT_TRUE(found) << p.out;
  const auto *f = format_json(j, "typed");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->at("max_array_depth"), 0);
  EXPECT_TRUE(f->at("dequantize_dtypes").empty());
  EXPECT_EQ(f->at("block_types").at(0).at("alignment"), 2);

  // Written by this build's (ABI-3) typed plugin, in this process.
  wtest::load_test_plugin("typed");
  const BlockType *q8 = find_block_type("test.Q8");
  ASSERT_NE(q8, nullptr);
  std::vector<uint8_t> blocks(2 * 2 * 34);
  for (size_t i = 0; i < blocks.size(); ++i)
    blocks[i] = static_cast<uint8_t>(i * 13 + 5);
  auto model = wcli_test::mixed_model(5);
  model.params.emplace("q", TensorView(q8, {2, 64}, blocks.data()));
  wcli_test::save(dir / "m.typed", model, typed_metadata());

  const std::string in = (dir / "m.typed").string();
  auto a = run_cli({"convert", in, (dir / "back.typed").string()}, {env});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto s = run_cli({"convert", in, (dir / "s.typed").string(), "--option", "scramble=true"}, {env});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto back = run_cli({"convert", (dir / "s.typed").string(), (dir / "s2.typed").string()}, {env});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  auto d = run_cli({"diff", in, (dir / "back.typed").string()}, {env});
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;

  const Weights original = load_weights(dir / "m.typed");
  for (const char *name : {"back.typed", "s2.typed"}) {
    const Weights w = load_weights(dir / name);
    EXPECT_TRUE(wcli_test::same_tensors(original, w)) << name;
    EXPECT_TRUE(w.metadata == typed_metadata()) << name;
    EXPECT_EQ(w.at("q").block_type(), q8) << name;
  }
  // The files the ABI-2 plugin wrote are byte for byte this build's.
  wcli_test::save(dir / "again.typed", wcli_test::copy_of(original), original.metadata);
  EXPECT_EQ(wtest::read_bytes(dir / "again.typed"), wtest::read_bytes(dir / "back.typed"));
}

TEST(CliAbi3, ConvertDropsAnArrayNestedDeeperThanTheOutputHoldsWithAWarning) {
  wtest::TempDir dir;
  const auto env = plugin_path_env({wtest::test_plugin("typed"), wtest::test_plugin("flat")});
  wtest::load_test_plugin("typed");
  wcli_test::save(dir / "m.typed", wcli_test::mixed_model(), typed_metadata());

  auto r = run_cli({"convert", (dir / "m.typed").string(), (dir / "m.flat").string()}, {env});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "the flat format holds no metadata of these types; not kept: "
                              "'deep' (ARRAY nested 2 deep, over the format's 1)"))
      << r.err;
  EXPECT_FALSE(contains(r.err, "'list'")) << r.err;
  wtest::load_test_plugin("flat");
  const Weights w = load_weights(dir / "m.flat");
  EXPECT_FALSE(w.metadata.contains("deep"));
  EXPECT_TRUE(w.metadata.at("list") == typed_metadata().at("list"));
}

TEST(CliAbi3, PluginsShowsArrayDepthDequantizingAndBlockAlignment) {
  const auto env = plugin_path_env({wtest::test_plugin("typed"), wtest::test_plugin("flat")});
  auto t = run_cli({"plugins"}, {env});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_TRUE(contains(t.out, "(arrays nested at most 1 deep)")) << t.out;
  EXPECT_TRUE(contains(t.out, "dequantizes to F16 BF16 F32")) << t.out;

  auto p = run_cli({"plugins", "--json"}, {env});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto j = nlohmann::json::parse(p.out);
  ASSERT_NE(format_json(j, "flat"), nullptr);
  EXPECT_EQ(format_json(j, "flat")->at("max_array_depth"), 1);
  EXPECT_EQ(format_json(j, "typed")->at("max_array_depth"), 0);
  ASSERT_NE(format_json(j, "gguf"), nullptr);
  EXPECT_EQ(format_json(j, "gguf")->at("dequantize_dtypes"),
            nlohmann::json::array({"F16", "BF16", "F32"}));
  for (const auto &b : format_json(j, "gguf")->at("block_types"))
    EXPECT_TRUE(b.contains("alignment")) << b;
}

TEST(CliAbi3, DequantizeAFormatWithoutTheCapabilityIsAClearError) {
  wtest::TempDir dir;
  const auto env = plugin_path_env({wtest::test_plugin("typed")});
  wtest::load_test_plugin("typed");
  wcli_test::save(dir / "m.typed", wcli_test::mixed_model());
  auto r = run_cli({"convert", "--dequantize", "f32", (dir / "m.typed").string(),
                    (dir / "m.safetensors").string()},
                   {env});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "the typed format cannot dequantize")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "m.safetensors"));
  // A format without block types has nothing to dequantize: the flag is
  // for the files that have some.
  wcli_test::save(dir / "a.safetensors", wcli_test::mixed_model());
  auto ok = run_cli({"convert", "--dequantize", "f32", (dir / "a.safetensors").string(),
                     (dir / "b.npz").string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST(CliAbi3, TheConformanceKitSendsNoDeeperArrayThanDeclared) {
  const auto r = run_cli({"conformance", "--json", "--seed", "1", "--only", "roundtrip,determinism",
                          wtest::test_plugin("flat").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("passed"), true) << r.out;
}
