// Plugin ABI 2 through real plugin binaries: typed metadata, block types,
// format options, write limits, warnings and deferred decode (the "typed"
// test plugin, tests/plugins/typed_plugin.cpp), and what the bundled
// formats refuse.
#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/plugin_abi.h>
#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

using namespace weightio;

namespace {

void load_typed() {
  wtest::load_test_plugin("typed");
  wtest::load_test_plugin("typed2");
}

const BlockType *q8() {
  load_typed();
  const BlockType *b = find_block_type("test.Q8");
  EXPECT_NE(b, nullptr);
  return b;
}

// One value of every kind the ABI carries, extremes included.
Metadata every_kind() {
  Metadata m;
  m["s"] = "h\xc3\xa9llo\nworld";
  m["empty"] = "";
  m.emplace("nul", Value(std::string("a\0b", 3)));
  m["t"] = true;
  m["f"] = false;
  m["u8"] = Value::unsigned_integer(ValueType::U8, 255);
  m["i8"] = Value::integer(ValueType::I8, -128);
  m["u16"] = Value::unsigned_integer(ValueType::U16, 65535);
  m["i16"] = Value::integer(ValueType::I16, -32768);
  m["u32"] = Value::unsigned_integer(ValueType::U32, 4000000000u);
  m["i32"] = Value::integer(ValueType::I32, std::numeric_limits<int32_t>::min());
  m["u64"] = Value::unsigned_integer(ValueType::U64, std::numeric_limits<uint64_t>::max());
  m["i64"] = Value::integer(ValueType::I64, std::numeric_limits<int64_t>::min());
  m["f32"] = Value::f32(3.14159274f);
  m["f32nan"] = Value::f32(std::numeric_limits<float>::quiet_NaN());
  m["f64"] = Value::f64(-1e300);
  m["f64inf"] = Value::f64(-std::numeric_limits<double>::infinity());
  m["strings"] = Value::array(ValueType::String, {"", "a", "\xe6\x97\xa5"});
  m["bools"] = Value::array(ValueType::Bool, {true, false, true});
  m["i16s"] = Value::array(
      ValueType::I16, {Value::integer(ValueType::I16, -1), Value::integer(ValueType::I16, 32767)});
  m["f32s"] = Value::array(ValueType::F32, {Value::f32(0.5f), Value::f32(-0.0f)});
  m["u64s"] = Value::array(ValueType::U64, {Value::unsigned_integer(ValueType::U64, 1),
                                            Value::unsigned_integer(ValueType::U64, ~0ull)});
  m["empty_u32s"] = Value::array(ValueType::U32, {});
  m["nested"] = Value::array(
      ValueType::Array, {Value::array(ValueType::I32, {Value::integer(ValueType::I32, 1)}),
                         Value::array(ValueType::String, {"x", "y"}),
                         Value::array(ValueType::Array, {Value::array(ValueType::Bool, {true})})});
  return m;
}

} // namespace

TEST(Abi2Metadata, EveryKindRoundTripsThroughAPlugin) {
  load_typed();
  wtest::TempDir dir;
  std::vector<float> w(6, 1.5f);
  FlatParams params;
  params.emplace("w", TensorView(DType::F32, {2, 3}, w.data()));
  SaveOptions o;
  o.metadata = every_kind();
  save_weights(dir / "m.typed", params, o);
  const Weights back = load_weights(dir / "m.typed");
  ASSERT_EQ(back.metadata.size(), o.metadata.size());
  auto it = back.metadata.begin();
  for (const auto &[k, v] : o.metadata) { // same order, types, widths and bits
    EXPECT_EQ(it->first, k);
    EXPECT_TRUE(it->second == v) << k;
    ++it;
  }
  EXPECT_EQ(back.metadata.at("u64").as_uint(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(back.metadata.at("i8").type(), ValueType::I8);
  EXPECT_TRUE(std::isnan(back.metadata.at("f32nan").as_f32()));
  EXPECT_EQ(back.metadata.at("nul").as_string(), std::string("a\0b", 3));
}

TEST(Abi2Metadata, TooDeepValuesAreRefusedBeforeWriting) {
  load_typed();
  wtest::TempDir dir;
  Value v = Value::array(ValueType::I32, {Value::integer(ValueType::I32, 7)});
  for (int i = 0; i < WIO_MAX_VALUE_DEPTH; ++i)
    v = Value::array(ValueType::Array, {v});
  SaveOptions o;
  o.metadata["deep"] = v;
  try {
    save_weights(dir / "m.typed", {}, o);
    FAIL() << "saved a value nested past the limit";
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("'deep'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "m.typed"));
}

TEST(Abi2Metadata, SafetensorsRefusesANonStringValueNamingTheKey) {
  wtest::TempDir dir;
  SaveOptions o;
  o.metadata["ok"] = "yes";
  o.metadata["layers"] = Value::unsigned_integer(ValueType::U32, 32);
  try {
    save_weights(dir / "m.safetensors", {}, o);
    FAIL() << "safetensors saved a UINT32 value";
  } catch (const UnsupportedError &e) {
    EXPECT_NE(std::string(e.what()).find("'layers'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("UINT32"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "m.safetensors"));
  // Strings still go through, as in 0.1.
  o.metadata.erase("layers");
  save_weights(dir / "m.safetensors", {}, o);
  EXPECT_EQ(load_weights(dir / "m.safetensors").metadata.at("ok").as_string(), "yes");
}

TEST(Abi2BlockType, LoadsZeroCopyAndConvertsByteExactBetweenFormatsThatHoldIt) {
  const BlockType *b = q8();
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->block_elements, 32u);
  EXPECT_EQ(b->block_bytes, 34u);
  wtest::TempDir dir;
  std::vector<uint8_t> bytes(4 * 2 * 34); // [4, 64]: 8 blocks
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<uint8_t>(i * 7 + 1);
  FlatParams params;
  params.emplace("q", TensorView(b, {4, 64}, bytes.data()));
  save_weights(dir / "a.typed", params);
  const Weights a = load_weights(dir / "a.typed");
  const Tensor &t = a.at("q");
  EXPECT_EQ(t.dtype(), DType::Block);
  EXPECT_EQ(t.block_type(), b);
  EXPECT_EQ(t.type_name(), "test.Q8");
  EXPECT_EQ(t.shape(), (Shape{4, 64}));
  EXPECT_TRUE(t.is_mapped());
  ASSERT_EQ(t.nbytes(), bytes.size());
  EXPECT_EQ(std::memcmp(t.data(), bytes.data(), bytes.size()), 0);

  save_weights(dir / "b.typed2", a.views());
  const Weights c = load_weights(dir / "b.typed2");
  EXPECT_EQ(c.format, "typed2");
  EXPECT_EQ(c.at("q").block_type(), b);
  EXPECT_EQ(std::memcmp(c.at("q").data(), bytes.data(), bytes.size()), 0);
}

TEST(Abi2BlockType, FormatsWithoutItRefuseNamingTensorAndType) {
  const BlockType *b = q8();
  ASSERT_NE(b, nullptr);
  wtest::TempDir dir;
  std::vector<uint8_t> bytes(34);
  FlatParams params;
  params.emplace("blk.0.attn", TensorView(b, {32}, bytes.data()));
  for (const char *name : {"m.npz", "m.safetensors"}) {
    try {
      save_weights(dir / name, params);
      FAIL() << name << " saved a block-quantized tensor";
    } catch (const UnsupportedError &e) {
      EXPECT_EQ(e.code(), ErrorCode::UnsupportedDType);
      EXPECT_NE(std::string(e.what()).find("'blk.0.attn'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("test.Q8"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / name));
  }
}

TEST(Abi2BlockType, AnInnermostDimensionOffTheBlockIsAClearError) {
  const BlockType *b = q8();
  ASSERT_NE(b, nullptr);
  std::vector<uint8_t> bytes(1000);
  try {
    TensorView v(b, {2, 48}, bytes.data());
    FAIL() << "accepted 48 elements in blocks of 32";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("not a multiple of the block size 32"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(TensorView(b, {}, bytes.data()), Error); // no scalar of blocks
}

TEST(Abi2BlockType, TwoPluginsDeclaringOneNameDifferentlyIsAnErrorNamingBoth) {
  q8();
  try {
    add_plugin_path(wtest::test_plugin("bad_geometry"), /*throw_on_error=*/true);
    FAIL() << "a second geometry for test.Q8 was accepted";
  } catch (const PluginError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("test.Q8"), std::string::npos) << m;
    EXPECT_NE(m.find("typed plugin"), std::string::npos) << m;
    EXPECT_NE(m.find("badgeom"), std::string::npos) << m;
  }
  EXPECT_THROW(define_block_type("test.Q8", 32, 36), Error);
  EXPECT_EQ(define_block_type("test.Q8", 32, 34, 2), q8()); // same geometry: same type
}

TEST(Abi2Options, ValidatedAgainstTheDeclarationBeforeThePluginRuns) {
  load_typed();
  wtest::TempDir dir;
  std::vector<float> w(4, 1.0f);
  FlatParams params;
  params.emplace("w", TensorView(DType::F32, {4}, w.data()));
  const std::vector<std::map<std::string, std::string>> bad = {
      {{"nosuch", "1"}}, {{"scramble", "maybe"}}, {{"level", "10"}}, {{"label", "c"}}};
  for (const auto &opts : bad) {
    SaveOptions o;
    o.format_options = opts;
    try {
      save_weights(dir / "m.typed", params, o);
      FAIL() << "accepted option " << opts.begin()->first << "=" << opts.begin()->second;
    } catch (const UnsupportedError &e) {
      const std::string m = e.what();
      EXPECT_EQ(e.code(), ErrorCode::UnsupportedOption);
      EXPECT_NE(m.find("'" + opts.begin()->first + "'"), std::string::npos) << m;
      // The valid ones are listed.
      EXPECT_NE(m.find("scramble (bool"), std::string::npos) << m;
      EXPECT_NE(m.find("level (int 0..9"), std::string::npos) << m;
      EXPECT_NE(m.find("label (string: a|b"), std::string::npos) << m;
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "m.typed"));
  }
  LoadOptions lo;
  lo.format_options["scramble"] = "true"; // a save option is not a load option
  save_weights(dir / "m.typed", params);
  EXPECT_THROW(load_weights(dir / "m.typed", lo), UnsupportedError);
}

TEST(Abi2Limits, RefusedBeforeTheSinkReceivesAByte) {
  load_typed();
  wtest::TempDir dir;
  std::vector<float> w(64, 1.0f);
  struct Case {
    FlatParams params;
    std::string expect;
  };
  std::vector<Case> cases(3);
  cases[0].params.emplace("five", TensorView(DType::F32, {1, 1, 2, 2, 2}, w.data()));
  cases[0].expect = "5 dimensions";
  cases[1].params.emplace("zero_outer", TensorView(DType::F32, {0, 4}, w.data()));
  cases[1].expect = "zero-length outer dimension";
  cases[2].params.emplace(std::string(33, 'n'), TensorView(DType::F32, {2}, w.data()));
  cases[2].expect = "holds at most 32";
  for (auto &c : cases) {
    bool sink_touched = false;
    SaveOptions o;
    o.progress = [&](uint64_t, uint64_t) { return sink_touched = true; };
    try {
      save_weights_to_memory(c.params, [&] {
        SaveOptions m = o;
        m.format = "typed";
        return m;
      }());
      FAIL() << "over the limit but saved: " << c.expect;
    } catch (const UnsupportedError &e) {
      EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos) << e.what();
    }
    EXPECT_FALSE(sink_touched);
    EXPECT_THROW(save_weights(dir / "m.typed", c.params), UnsupportedError);
    EXPECT_FALSE(std::filesystem::exists(dir / "m.typed"));
  }
  // The innermost dimension may be 0.
  FlatParams ok;
  ok.emplace("inner_zero", TensorView(DType::F32, {3, 0}, w.data()));
  EXPECT_NO_THROW(save_weights(dir / "ok.typed", ok));
}

TEST(Abi2Warnings, ReachTheCallerFromWriterAndReader) {
  load_typed();
  wtest::TempDir dir;
  SaveOptions o;
  o.metadata["a"] = "1";
  o.metadata["b"] = Value::integer(ValueType::I32, 2);
  const SaveResult r = save_weights(dir / "m.typed", {}, o);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0], "2 metadata values written");
  const Weights w = load_weights(dir / "m.typed");
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_EQ(w.warnings[0], "2 metadata values read");
}

TEST(Abi2Decode, HostThreadsDecodeIdenticallyWhateverTheirNumber) {
  load_typed();
  wtest::TempDir dir;
  // One tensor large enough to be split into parts, odd sizes that are one
  // unit, and a block-typed one.
  std::vector<uint8_t> big(12u << 20);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<uint8_t>((i * 2654435761u) >> 24);
  std::vector<uint8_t> odd(1000);
  std::iota(odd.begin(), odd.end(), 0);
  FlatParams params;
  params.emplace("big", TensorView(DType::U8, {static_cast<int64_t>(big.size())}, big.data()));
  params.emplace("odd", TensorView(DType::U8, {1000}, odd.data()));
  params.emplace("blocks", TensorView(q8(), {2, 32}, big.data()));
  SaveOptions so;
  so.format_options["scramble"] = "true";
  save_weights(dir / "s.typed", params, so);
  // The stored bytes really are scrambled: decode is what restores them.
  const auto raw = wtest::read_bytes(dir / "s.typed");
  ASSERT_EQ(std::search(raw.begin(), raw.end(), odd.begin(), odd.begin() + 64), raw.end());
  for (unsigned threads : {1u, 2u, 8u}) {
    LoadOptions lo;
    lo.threads = threads;
    const Weights w = load_weights(dir / "s.typed", lo);
    ASSERT_EQ(w.size(), 3u);
    EXPECT_EQ(std::memcmp(w.at("big").data(), big.data(), big.size()), 0) << threads;
    EXPECT_EQ(std::memcmp(w.at("odd").data(), odd.data(), odd.size()), 0) << threads;
    EXPECT_EQ(w.at("blocks").block_type(), q8());
    EXPECT_EQ(std::memcmp(w.at("blocks").data(), big.data(), 68), 0);
    EXPECT_FALSE(w.at("big").is_mapped());
  }
  // `only` skips the others' decoding.
  LoadOptions only;
  only.only = {"odd"};
  EXPECT_EQ(load_weights(dir / "s.typed", only).size(), 1u);
}

TEST(Abi2Decode, AFailedDecodeNamesTheTensorWhateverTheThreadCount) {
  load_typed();
  wtest::TempDir dir;
  std::vector<uint8_t> bytes(8u << 20, 3);
  FlatParams params;
  params.emplace("first", TensorView(DType::U8, {64}, bytes.data()));
  params.emplace("second",
                 TensorView(DType::U8, {static_cast<int64_t>(bytes.size())}, bytes.data()));
  SaveOptions so;
  so.format_options["scramble"] = "true";
  save_weights(dir / "s.typed", params, so);
  std::string first_message;
  for (unsigned threads : {1u, 2u, 8u}) {
    LoadOptions lo;
    lo.threads = threads;
    lo.format_options["fail_decode"] = "second";
    try {
      load_weights(dir / "s.typed", lo);
      FAIL() << "a failing decode loaded";
    } catch (const FormatError &e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("tensor 'second'"), std::string::npos) << m;
      EXPECT_NE(m.find("failed on purpose"), std::string::npos) << m;
      if (first_message.empty())
        first_message = m;
      EXPECT_EQ(m, first_message); // identical whatever the thread count
    }
  }
}
