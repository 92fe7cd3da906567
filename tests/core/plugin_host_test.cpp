#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/plugin_abi.h>
#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <filesystem>
#include <numeric>

using namespace weightio;
using wtest::load_test_plugin;
using wtest::test_plugin;

namespace {

std::string failure_for(const std::string &name) {
  for (const auto &f : failed_plugins())
    if (f.path.filename() == "weightio_" + name + ".so")
      return f.error;
  return {};
}

bool is_loaded(const std::string &name) {
  for (const auto &p : loaded_plugins())
    if (p.name == name)
      return true;
  return false;
}

} // namespace

TEST(PluginHost, CPluginSavesAndLoads) {
  load_test_plugin("rawt");
  wtest::TempDir dir;
  std::vector<float> w(12);
  std::iota(w.begin(), w.end(), 0.0f);
  std::vector<uint16_t> b(3, 0x3f80);
  FlatParams params;
  params.emplace("layers.0.weight", TensorView(DType::F32, {3, 4}, w.data()));
  params.emplace("layers.0.bias", TensorView(DType::BF16, {3}, b.data()));
  save_weights(dir / "model.RAWT", params); // extensions match case-insensitively
  Weights loaded = load_weights(dir / "model.RAWT");
  EXPECT_EQ(loaded.format, "rawt");
  ASSERT_EQ(loaded.size(), 2u);
  const Tensor &t = loaded.at("layers.0.weight");
  EXPECT_EQ(t.dtype(), DType::F32);
  EXPECT_EQ(t.shape(), (Shape{3, 4}));
  EXPECT_EQ(t.data<float>()[5], 5.0f);
  EXPECT_TRUE(t.is_mapped()); // the C plugin aligns data: a view, no copy
  EXPECT_EQ(loaded.at("layers.0.bias").dtype(), DType::BF16);
}

TEST(PluginHost, MappedTensorsOutliveTheirWeights) {
  load_test_plugin("rawt");
  wtest::TempDir dir;
  std::vector<float> w(1000, 2.5f);
  FlatParams params;
  params.emplace("w", TensorView(DType::F32, {1000}, w.data()));
  save_weights(dir / "m.rawt", params);
  Tensor kept;
  {
    Weights loaded = load_weights(dir / "m.rawt");
    kept = loaded.at("w");
  }
  std::filesystem::remove(dir / "m.rawt"); // the mapping survives unlink too
  EXPECT_EQ(kept.data<float>()[999], 2.5f);
}

TEST(PluginHost, ProbesUnknownExtensionsByMagic) {
  load_test_plugin("rawt");
  wtest::TempDir dir;
  float x = 4;
  FlatParams params;
  params.emplace("x", TensorView(DType::F32, {}, &x));
  save_weights(dir / "m.rawt", params);
  std::filesystem::rename(dir / "m.rawt", dir / "m.bin");
  EXPECT_EQ(load_weights(dir / "m.bin").at("x").data<float>()[0], 4.0f);
}

TEST(PluginHost, UnknownExtensionListsKnownOnes) {
  load_test_plugin("rawt");
  wtest::TempDir dir;
  float x = 0;
  FlatParams params;
  params.emplace("x", TensorView(DType::F32, {}, &x));
  try {
    save_weights(dir / "m.xyz", params);
    FAIL();
  } catch (const PluginError &e) {
    EXPECT_EQ(e.code(), ErrorCode::UnknownFormat);
    const std::string m = e.what();
    EXPECT_NE(m.find(".xyz"), std::string::npos) << m;
    EXPECT_NE(m.find(".rawt"), std::string::npos) << m;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "m.xyz"));
}

TEST(PluginHost, FutureAbiIsRefusedAndListed) {
  load_test_plugin("future_abi");
  EXPECT_FALSE(is_loaded("defective"));
  const std::string why = failure_for("future_abi");
  EXPECT_NE(why.find("ABI " + std::to_string(WEIGHTIO_ABI_VERSION + 98)), std::string::npos) << why;
  EXPECT_NE(why.find("newer"), std::string::npos) << why;
}

TEST(PluginHost, MissingEntrySymbolIsRefused) {
  load_test_plugin("no_entry");
  EXPECT_NE(failure_for("no_entry").find("weightio_plugin_entry"), std::string::npos)
      << failure_for("no_entry");
}

TEST(PluginHost, NullFunctionIsRefused) {
  load_test_plugin("null_read");
  EXPECT_NE(failure_for("null_read").find("read function is null"), std::string::npos)
      << failure_for("null_read");
}

TEST(PluginHost, BadExtensionStringIsRefused) {
  load_test_plugin("bad_extension");
  EXPECT_NE(failure_for("bad_extension").find("'.NPZ'"), std::string::npos)
      << failure_for("bad_extension");
}

TEST(PluginHost, TooSmallStructIsRefused) {
  load_test_plugin("small_struct");
  EXPECT_NE(failure_for("small_struct").find("struct_size"), std::string::npos)
      << failure_for("small_struct");
}

TEST(PluginHost, PluginThatDeclinesIsRefused) {
  load_test_plugin("declines");
  EXPECT_NE(failure_for("declines").find("declined"), std::string::npos) << failure_for("declines");
}

TEST(PluginHost, GarbageFileFailsToLoadWithReason) {
  wtest::TempDir dir;
  wtest::write_bytes(dir / "weightio_garbage.so", {'n', 'o', 't', ' ', 'e', 'l', 'f'});
  add_plugin_path(dir.path());
  const std::string why = failure_for("garbage");
  EXPECT_NE(why.find("cannot be loaded"), std::string::npos) << why;
  EXPECT_THROW(add_plugin_path(dir / "weightio_garbage2.so", true), PluginError);
}

TEST(PluginHost, MissingDependencyFailsToLoadWithTheLoadersReason) {
  load_test_plugin("missing_dep");
  const std::string why = failure_for("missing_dep");
  EXPECT_NE(why.find("libwio_test_dep.so"), std::string::npos) << why;
}

TEST(Version, LibraryVersionIsTheHeadersSemver) {
  EXPECT_STREQ(weightio::version(), WEIGHTIO_VERSION_STRING);
  EXPECT_EQ(std::to_string(WEIGHTIO_VERSION_MAJOR) + "." + std::to_string(WEIGHTIO_VERSION_MINOR) +
                "." + std::to_string(WEIGHTIO_VERSION_PATCH),
            WEIGHTIO_VERSION_STRING);
}

// The SONAME policy (docs/DESIGN-NOTES.md): while at 0.x each minor release
// may change the C++ ABI, so the loader must have looked the library up as
// libweightio.so.MAJOR.MINOR, not by the major version alone.
TEST(Version, SonameCarriesMajorAndMinor) {
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<const void *>(&weightio::version), &info), 0);
  ASSERT_NE(info.dli_fname, nullptr);
  EXPECT_EQ(std::filesystem::path(info.dli_fname).filename().string(),
            "libweightio.so." + std::to_string(WEIGHTIO_VERSION_MAJOR) + "." +
                std::to_string(WEIGHTIO_VERSION_MINOR));
}

TEST(PluginHost, BrokenPluginsDoNotAffectOthers) {
  for (auto n : {"future_abi", "no_entry", "null_read", "declines"})
    load_test_plugin(n);
  load_test_plugin("rawt");
  wtest::TempDir dir;
  float x = 1;
  FlatParams params;
  params.emplace("x", TensorView(DType::F32, {}, &x));
  save_weights(dir / "ok.rawt", params);
  EXPECT_EQ(load_weights(dir / "ok.rawt").at("x").data<float>()[0], 1.0f);
  // The failed plugin that would have served a format is named when it is
  // asked for.
  try {
    save_weights(dir / "x.future_abi", params);
    FAIL();
  } catch (const PluginError &e) {
    EXPECT_NE(std::string(e.what()).find("weightio_future_abi.so"), std::string::npos) << e.what();
  }
}

TEST(PluginHost, SameFileLoadedOnce) {
  load_test_plugin("rawt");
  load_test_plugin("rawt");
  add_plugin_path(std::filesystem::path(WEIGHTIO_TEST_PLUGIN_DIR) / "." / "weightio_rawt.so");
  int n = 0;
  for (const auto &p : loaded_plugins())
    n += p.name == "rawt";
  EXPECT_EQ(n, 1);
}

TEST(PluginHost, TwoPluginsClaimingAnExtensionIsAnErrorNamingBoth) {
  load_test_plugin("dup_a");
  load_test_plugin("dup_b");
  wtest::TempDir dir;
  float x = 0;
  FlatParams params;
  params.emplace("x", TensorView(DType::F32, {}, &x));
  try {
    save_weights(dir / "m.dup", params);
    FAIL();
  } catch (const PluginError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("weightio_dup_a.so"), std::string::npos) << m;
    EXPECT_NE(m.find("weightio_dup_b.so"), std::string::npos) << m;
  }
  // Both also recognise the same first bytes: a file whose extension says
  // nothing is just as ambiguous.
  std::vector<uint8_t> magic{'W', 'I', 'O', 'T', 'D', 'U', 'P', '1', 0, 0, 0, 0};
  wtest::write_bytes(dir / "m.bin", magic);
  try {
    load_weights(dir / "m.bin");
    FAIL();
  } catch (const PluginError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("weightio_dup_a.so"), std::string::npos) << m;
    EXPECT_NE(m.find("weightio_dup_b.so"), std::string::npos) << m;
    EXPECT_NE(m.find("m.bin"), std::string::npos) << m;
  }
  prefer_plugin(".dup", "dup_b");
  EXPECT_EQ(format_for_extension("dup").name, "dup_b");
  // dup_b's writer and reader are stubs that fail: the errors now come from
  // it, for the extension and for the probed file alike.
  try {
    save_weights(dir / "m.dup", params);
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("weightio_dup_b.so"), std::string::npos) << e.what();
  }
  try {
    load_weights(dir / "m.bin");
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("weightio_dup_b.so"), std::string::npos) << e.what();
  }
}

TEST(PluginHost, AReaderAndAWriterForOneExtensionDoNotConflict) {
  load_test_plugin("reader_only");
  load_test_plugin("writer_only");
  wtest::TempDir dir;
  float x = 0;
  FlatParams params;
  params.emplace("x", TensorView(DType::F32, {}, &x));
  // Both stubs fail with "not implemented": what matters is which one runs.
  try {
    save_weights(dir / "m.rw", params);
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("weightio_writer_only.so"), std::string::npos) << e.what();
  }
  wtest::write_bytes(dir / "r.rw", {1, 2, 3});
  try {
    load_weights(dir / "r.rw");
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("weightio_reader_only.so"), std::string::npos) << e.what();
  }
}

TEST(PluginHost, TwoPluginsWithOneFormatNameConflictUnlessTheHostChooses) {
  load_test_plugin("same_name_a");
  load_test_plugin("same_name_b");
  float x = 0;
  FlatParams params;
  params.emplace("x", TensorView(DType::F32, {}, &x));
  SaveOptions o;
  o.format = "samename";
  try {
    save_weights_to_memory(params, o);
    FAIL();
  } catch (const PluginError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("weightio_same_name_a.so"), std::string::npos) << m;
    EXPECT_NE(m.find("weightio_same_name_b.so"), std::string::npos) << m;
  }
  prefer_plugin("samename", test_plugin("same_name_b").string());
  EXPECT_EQ(plugin_path_for_format("samename").filename(), "weightio_same_name_b.so");
}

TEST(PluginHost, ExceptionsInsidePluginsBecomeErrors) {
  load_test_plugin("throwing");
  wtest::TempDir dir;
  float x = 0;
  FlatParams params;
  params.emplace("x", TensorView(DType::F32, {}, &x));
  try {
    save_weights(dir / "m.throwfmt", params);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
    EXPECT_NE(std::string(e.what()).find("boom in the writer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("weightio_throwing.so"), std::string::npos);
  }
  wtest::write_bytes(dir / "r.throwfmt", {1, 2, 3});
  try {
    load_weights(dir / "r.throwfmt");
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("boom in the reader"), std::string::npos) << e.what();
  }
}

TEST(PluginHost, CoreChecksWhatReadersReturn) {
  load_test_plugin("liar");
  wtest::TempDir dir;
  const std::pair<char, const char *> cases[] = {
      {'d', "invalid dtype"},    {'s', "does not match"}, {'o', "outside the file"},
      {'b', "did not allocate"}, {'n', "appears twice"},  {'m', "null string"},
  };
  for (auto [mode, expect] : cases) {
    std::vector<uint8_t> bytes(32, 0);
    bytes[0] = static_cast<uint8_t>(mode);
    const auto path = dir / (std::string(1, mode) + ".liar");
    wtest::write_bytes(path, bytes);
    try {
      load_weights(path);
      ADD_FAILURE() << "mode " << mode << " accepted";
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << mode << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
  std::vector<uint8_t> good(32, 0);
  good[0] = 'g';
  wtest::write_bytes(dir / "g.liar", good);
  EXPECT_EQ(load_weights(dir / "g.liar").at("x").shape(), (Shape{2}));
}

TEST(PluginHost, SaveToAndLoadFromMemory) {
  load_test_plugin("rawt");
  std::vector<int64_t> v{1, -2, 3};
  FlatParams params;
  params.emplace("v", TensorView(DType::I64, {3}, v.data()));
  SaveOptions o;
  o.format = "rawt";
  std::vector<uint8_t> bytes = save_weights_to_memory(params, o);
  LoadOptions lo;
  lo.format = "rawt";
  Weights w = load_weights_from_memory(bytes, lo);
  EXPECT_EQ(w.at("v").data<int64_t>()[1], -2);
  EXPECT_FALSE(w.at("v").is_mapped());
}

TEST(PluginHost, LoadOnlySomeNames) {
  load_test_plugin("rawt");
  wtest::TempDir dir;
  float a = 1, b = 2;
  FlatParams params;
  params.emplace("a", TensorView(DType::F32, {}, &a));
  params.emplace("b", TensorView(DType::F32, {}, &b));
  save_weights(dir / "m.rawt", params);
  LoadOptions o;
  o.only = {"b"};
  Weights w = load_weights(dir / "m.rawt", o);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(w.at("b").data<float>()[0], 2.0f);
  o.only = {"c"};
  EXPECT_THROW(load_weights(dir / "m.rawt", o), Error);
}

TEST(PluginHost, ReadIntoMemoryGivesTheSameValues) {
  load_test_plugin("rawt");
  wtest::TempDir dir;
  std::vector<double> d{1.25, 2.5};
  FlatParams params;
  params.emplace("d", TensorView(DType::F64, {2}, d.data()));
  save_weights(dir / "m.rawt", params);
  LoadOptions o;
  o.read_into_memory = true;
  Weights w = load_weights(dir / "m.rawt", o);
  EXPECT_FALSE(w.at("d").is_mapped());
  EXPECT_EQ(w.at("d").data<double>()[1], 2.5);
}

TEST(PluginHost, MissingFileIsAnIoErrorNamingIt) {
  load_test_plugin("rawt");
  try {
    load_weights("/nonexistent/dir/m.rawt");
    FAIL();
  } catch (const IoError &e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/m.rawt"), std::string::npos);
    EXPECT_EQ(e.file(), "/nonexistent/dir/m.rawt");
  }
}

TEST(PluginHost, UnsupportedOptionsAreRefusedBeforeWriting) {
  load_test_plugin("rawt");
  wtest::TempDir dir;
  float x = 0;
  FlatParams params;
  params.emplace("x", TensorView(DType::F32, {}, &x));
  SaveOptions o;
  o.metadata["k"] = "v";
  EXPECT_THROW(save_weights(dir / "m.rawt", params, o), UnsupportedError);
  o.metadata.clear();
  o.compression = 6;
  EXPECT_THROW(save_weights(dir / "m.rawt", params, o), UnsupportedError);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}
