// Plugin ABI 3 through real plugin binaries: the limit status and
// Error::limit(), a declared array nesting depth ("flat", a variant of
// tests/plugins/typed_plugin.cpp), the declared dequantize capability
// (gguf) and block-type geometry shown whole when two plugins disagree.
#include "host/plugin_status.hpp"
#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/plugin_abi.h>
#include <weightio/plugin_sdk.hpp>
#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cstring>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

FormatInfo flat() {
  wtest::load_test_plugin("typed");
  wtest::load_test_plugin("flat");
  return format_by_name("flat");
}

const std::vector<float> kData(6, 0.5f);

FlatParams params() {
  FlatParams p;
  p.emplace("w", TensorView(DType::F32, {2, 3}, kData.data()));
  return p;
}

Metadata values(int n) {
  Metadata m;
  for (int i = 0; i < n; ++i)
    m["k" + std::to_string(i)] = Value::unsigned_integer(ValueType::U32, static_cast<uint64_t>(i));
  return m;
}

Value nested() {
  return Value::array(ValueType::Array,
                      {Value::array(ValueType::I32, {Value::integer(ValueType::I32, 1)})});
}

fs::path gguf_file(const std::string &name) {
  return fs::path(WEIGHTIO_TEST_DATA_DIR) / "gguf" / name;
}

} // namespace

TEST(Abi3, TheHostIsAbi3AndStillLoadsAbi1AndAbi2Plugins) {
  EXPECT_EQ(WEIGHTIO_ABI_VERSION, 3u);
  EXPECT_EQ(WEIGHTIO_ABI_MIN_VERSION, 1u);
  flat();
  bool seen = false;
  for (const auto &p : loaded_plugins())
    if (p.name == "flat") {
      EXPECT_EQ(p.abi_version, 3u);
      seen = true;
    }
  EXPECT_TRUE(seen);
  // ABI-1 and ABI-2 formats keep the meanings they had: any depth, no
  // dequantizing.
  const FormatInfo npz = format_by_name("npz");
  EXPECT_EQ(npz.max_array_depth, 0u);
  EXPECT_TRUE(npz.dequantize_dtypes.empty());
}

TEST(Abi3Limit, ErrorsNotAboutALimitNameNone) {
  const Error e(ErrorCode::InvalidFile, "x");
  EXPECT_EQ(e.limit(), "");
  const FormatError f(ErrorCode::InvalidFile, "x", "f", "t", "max_tensors");
  EXPECT_EQ(f.limit(), "max_tensors");
  EXPECT_EQ(f.tensor(), "t");
}

TEST(Abi3Limit, TheLimitIsTheNameInTheMessagesClosingParentheses) {
  using detail::limit_named_in;
  EXPECT_EQ(limit_named_in("tensor count 9 is over the limit 8 (max_tensors)"), "max_tensors");
  EXPECT_EQ(limit_named_in("a (b) c 1 is over the limit 0 (flat.max_values)"), "flat.max_values");
  EXPECT_EQ(limit_named_in("no limit named here"), "");
  EXPECT_EQ(limit_named_in("ends in (two words)"), "");
  EXPECT_EQ(limit_named_in("()"), "");
  EXPECT_EQ(limit_named_in(""), "");
}

TEST(Abi3Limit, APluginsLimitStatusIsUnsupportedAtSaveNamingTheLimit) {
  flat();
  wtest::TempDir dir;
  SaveOptions o;
  o.metadata = values(33);
  try {
    save_weights(dir / "m.flat", params(), o);
    FAIL() << "33 values saved to a format that holds 32";
  } catch (const UnsupportedError &e) {
    EXPECT_EQ(e.code(), ErrorCode::UnsupportedOption);
    EXPECT_EQ(e.limit(), "flat.max_values");
    EXPECT_NE(std::string(e.what()).find(
                  "metadata count 33 is over the limit 32 (flat.max_values) [flat plugin"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(dir / "m.flat"));
  o.metadata = values(32);
  save_weights(dir / "m.flat", params(), o);
  EXPECT_EQ(load_weights(dir / "m.flat").metadata.size(), 32u);
}

TEST(Abi3Limit, APluginsLimitStatusIsAFormatErrorAtLoadNamingTheLimit) {
  flat();
  wtest::TempDir dir;
  SaveOptions o;
  o.metadata = values(40);
  // typed writes the same layout with no such limit.
  save_weights(dir / "m.typed", params(), o);
  fs::copy_file(dir / "m.typed", dir / "m.flat");
  // By name: typed's probe also claims the file, which adds a hint.
  LoadOptions by_name;
  by_name.format = "flat";
  try {
    (void)load_weights(dir / "m.flat", by_name);
    FAIL() << "40 values loaded by a reader that holds 32";
  } catch (const FormatError &e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidFile);
    EXPECT_EQ(e.limit(), "flat.max_values");
    EXPECT_NE(
        std::string(e.what()).find("metadata count 40 is over the limit 32 (flat.max_values)"),
        std::string::npos)
        << e.what();
  }
}

TEST(Abi3ArrayDepth, DeclaredDepthIsInFormatInfoAndFormatHolds) {
  const FormatInfo f = flat();
  EXPECT_EQ(f.max_array_depth, 1u);
  EXPECT_EQ(format_by_name("typed").max_array_depth, 0u);
  const Value list = Value::array(ValueType::I32, {Value::integer(ValueType::I32, 1)});
  EXPECT_TRUE(format_holds(f, list));
  EXPECT_FALSE(format_holds(f, nested()));
  EXPECT_TRUE(format_holds(format_by_name("typed"), nested()));
}

TEST(Abi3ArrayDepth, ASaveOfADeeperArrayIsRefusedNamingTheKeyBeforeAnyByte) {
  flat();
  wtest::TempDir dir;
  SaveOptions o;
  o.metadata["flat"] = Value::array(ValueType::I32, {Value::integer(ValueType::I32, 1)});
  o.metadata["deep"] = nested();
  try {
    save_weights(dir / "m.flat", params(), o);
    FAIL() << "a nested array saved to a format of flat arrays";
  } catch (const UnsupportedError &e) {
    EXPECT_EQ(e.code(), ErrorCode::UnsupportedOption);
    EXPECT_EQ(e.limit(), "max_array_depth");
    EXPECT_NE(std::string(e.what()).find("the flat format holds flat arrays only: metadata value "
                                         "'deep': array depth 2 is over the limit 1 "
                                         "(max_array_depth)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
  EXPECT_THROW((void)save_weights_to_memory(params(),
                                            [&] {
                                              SaveOptions m = o;
                                              m.format = "flat";
                                              return m;
                                            }()),
               UnsupportedError);
  o.metadata.erase("deep");
  save_weights(dir / "m.flat", params(), o);
  EXPECT_EQ(load_weights(dir / "m.flat").metadata.at("flat").items().size(), 1u);
}

TEST(Abi3Dequantize, GgufDeclaresItAndLoadOptionsAskForIt) {
  const FormatInfo g = format_by_name("gguf");
  EXPECT_EQ(g.dequantize_dtypes, (std::vector<DType>{DType::F16, DType::BF16, DType::F32}));
  LoadOptions by_field;
  by_field.dequantize = DType::F32;
  const Weights a = load_weights(gguf_file("g05_quantize.gguf"), by_field);
  LoadOptions by_option; // as an ABI-2 host asks
  by_option.format_options["dequantize"] = "f32";
  const Weights b = load_weights(gguf_file("g05_quantize.gguf"), by_option);
  const Weights blocks = load_weights(gguf_file("g05_quantize.gguf"));
  bool any_block = false;
  for (const auto &[name, t] : blocks)
    any_block = any_block || t.dtype() == DType::Block;
  EXPECT_TRUE(any_block);
  ASSERT_EQ(a.size(), b.size());
  for (const auto &[name, t] : a) {
    EXPECT_NE(t.dtype(), DType::Block) << name;
    const Tensor &u = b.at(name);
    ASSERT_EQ(t.nbytes(), u.nbytes()) << name;
    EXPECT_EQ(std::memcmp(t.data(), u.data(), t.nbytes()), 0) << name;
  }
  LoadOptions f16;
  f16.dequantize = DType::F16;
  for (const auto &[name, t] : load_weights(gguf_file("g05_quantize.gguf"), f16)) {
    if (blocks.at(name).dtype() == DType::Block) {
      EXPECT_EQ(t.dtype(), DType::F16) << name;
    }
  }
}

TEST(Abi3Dequantize, AFormatWithoutTheCapabilityIsRefusedNamingIt) {
  wtest::load_test_plugin("typed");
  wtest::TempDir dir;
  save_weights(dir / "m.safetensors", params());
  save_weights(dir / "m.typed", params());
  LoadOptions o;
  o.dequantize = DType::F32;
  auto message = [&](const fs::path &p) -> std::string {
    try {
      (void)load_weights(p, o);
    } catch (const UnsupportedError &e) {
      EXPECT_EQ(e.code(), ErrorCode::UnsupportedOption);
      return e.what();
    }
    return "loaded";
  };
  EXPECT_NE(message(dir / "m.safetensors")
                .find("the safetensors format cannot dequantize (LoadOptions::dequantize): it "
                      "holds no block-quantized types"),
            std::string::npos);
  EXPECT_NE(message(dir / "m.typed")
                .find("the typed format cannot dequantize (LoadOptions::dequantize): its plugin "
                      "declares no dtypes to dequantize to"),
            std::string::npos);
  o.dequantize = DType::F64;
  EXPECT_NE(message(gguf_file("g05_quantize.gguf"))
                .find("the gguf format dequantizes to F16, BF16, F32, not F64"),
            std::string::npos);
}

TEST(Abi3Dequantize, GgufOffersAnAbi2DescriptorToAnAbi2Host) {
  const fs::path so = plugin_path_for_format("gguf");
  void *lib = ::dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << ::dlerror();
  auto entry = reinterpret_cast<wio_plugin_entry_fn>(::dlsym(lib, WEIGHTIO_PLUGIN_ENTRY_SYMBOL));
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry(3)->abi_version, 3u);
  const wio_plugin *old = entry(2);
  EXPECT_EQ(old->abi_version, 2u);
  // Its ABI-2 host asks through the load option, which stays declared.
  const wio_format *f = old->formats[0];
  bool has_option = false;
  for (size_t i = 0; i < f->option_count; ++i)
    has_option = has_option || std::strcmp(f->options[i]->name, "dequantize") == 0;
  EXPECT_TRUE(has_option);
  // The library stays loaded, as the registry keeps plugins loaded.
}

TEST(Abi3BlockType, AClashShowsBothGeometriesWhole) {
  wtest::load_test_plugin("typed");
  ASSERT_NE(find_block_type("test.Q8"), nullptr);
  try {
    add_plugin_path(wtest::test_plugin("bad_alignment"), /*throw_on_error=*/true);
    FAIL() << "a second alignment for test.Q8 was accepted";
  } catch (const PluginError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("block type 'test.Q8' is declared by "), std::string::npos) << m;
    EXPECT_NE(m.find(" as 32 elements in 34 bytes, aligned to 2 and by "), std::string::npos) << m;
    EXPECT_NE(m.find("badalign"), std::string::npos) << m;
    EXPECT_NE(m.find(" as 32 elements in 34 bytes, aligned to 4"), std::string::npos) << m;
  }
}

TEST(Abi3Sdk, LimitExceededIsTheLimitStatusWithTheHostsPhrasing) {
  char error[128] = {};
  const int32_t st = weightio::sdk::guard(
      error, sizeof error, [] { weightio::sdk::over_limit("tensor count", 9, 8, "max_tensors"); });
  EXPECT_EQ(st, WIO_ERR_LIMIT);
  EXPECT_STREQ(error, "tensor count 9 is over the limit 8 (max_tensors)");
  EXPECT_EQ(detail::limit_named_in(error), "max_tensors");
}
