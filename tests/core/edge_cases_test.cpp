// Edge cases of the core API: borrowed bytes stay read-only, keys can't be
// renamed in place, index-like keys, non-regular targets, messages that
// name the file.
#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/plugin_abi.h>
#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <type_traits>

using namespace weightio;

static_assert(std::is_const_v<FlatParams::value_type::first_type>,
              "renaming through an iterator would break the name index");

TEST(EdgeCases, BorrowedBytesAreNotWritable) {
  wtest::load_test_plugin("rawt");
  std::vector<float> w(16, 1.0f);
  FlatParams p;
  p.emplace("w", TensorView(DType::F32, {16}, w.data()));
  SaveOptions o;
  o.format = "rawt";
  auto bytes = std::make_shared<const std::vector<uint8_t>>(save_weights_to_memory(p, o));
  LoadOptions lo;
  lo.format = "rawt";
  Weights lent = load_weights_from_memory(*bytes, lo, bytes); // views into the caller's bytes
  EXPECT_THROW(lent.at("w").mutable_data(), Error);
  EXPECT_FALSE(lent.at("w").is_mapped());
  Weights copied = load_weights_from_memory(*bytes, lo); // a private copy is made
  EXPECT_THROW(copied.at("w").mutable_data(), Error);    // still a view into that copy
  Tensor mine = Tensor::copy_of(copied.at("w"));
  EXPECT_NO_THROW(mine.mutable_data());
}

TEST(EdgeCases, LeadingZeroKeysAreNotIndices) {
  float a = 1, b = 2;
  FlatParams flat;
  flat.emplace("l.01", TensorView(DType::F32, {}, &a));
  flat.emplace("l.1", TensorView(DType::F32, {}, &b));
  ParamTree t = unflatten(flat);
  ASSERT_TRUE(t.at("l").is_dict());
  FlatParams again = flatten(t);
  EXPECT_EQ(again.at("l.01").data(), &a);
  EXPECT_EQ(again.at("l.1").data(), &b);
}

TEST(EdgeCases, DefaultTensorViewIsEmpty) {
  TensorView v;
  EXPECT_EQ(v.numel(), 0u);
  EXPECT_EQ(v.nbytes(), 0u);
  EXPECT_EQ(shape_to_string(v.shape()), "[0]");
}

TEST(EdgeCases, InvalidDTypeValuesDoNotReadPastTheTable) {
  const auto bad = static_cast<DType>(1000);
  EXPECT_EQ(dtype_name(bad), "?");
  EXPECT_EQ(dtype_bits(bad), 0u);
  EXPECT_THROW(shape_nbytes(bad, {1}), Error);
}

TEST(EdgeCases, NonRegularTargetIsRefused) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "pipe.rawt").c_str(), 0600), 0);
  float x = 0;
  FlatParams p;
  p.emplace("x", TensorView(DType::F32, {}, &x));
  EXPECT_THROW(save_weights(dir / "pipe.rawt", p), IoError);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "pipe.rawt").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(EdgeCases, CancelledSaveNamesTheFile) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  std::vector<float> w(64, 0.0f);
  FlatParams p;
  p.emplace("w", TensorView(DType::F32, {64}, w.data()));
  SaveOptions o;
  o.progress = [](uint64_t, uint64_t) { return false; };
  const auto path = dir / "m.rawt";
  try {
    save_weights(path, p, o);
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Cancelled);
    EXPECT_EQ(e.file(), path.string());
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST(EdgeCases, LoadNamesThePluginThatFailedForItsExtension) {
  wtest::load_test_plugin("future_abi");
  wtest::TempDir dir;
  wtest::write_bytes(dir / "x.future_abi", {1, 2, 3, 4});
  try {
    load_weights(dir / "x.future_abi");
    FAIL();
  } catch (const PluginError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("weightio_future_abi.so"), std::string::npos) << m;
    EXPECT_NE(m.find("ABI " + std::to_string(WEIGHTIO_ABI_VERSION + 98)), std::string::npos) << m;
  }
}

TEST(EdgeCases, AllMissingOnlyNamesAreListed) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  float x = 0;
  FlatParams p;
  p.emplace("x", TensorView(DType::F32, {}, &x));
  save_weights(dir / "m.rawt", p);
  LoadOptions o;
  o.only = {"a", "b", "x"};
  try {
    load_weights(dir / "m.rawt", o);
    FAIL();
  } catch (const Error &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'a'"), std::string::npos) << m;
    EXPECT_NE(m.find("'b'"), std::string::npos) << m;
  }
}

TEST(EdgeCases, LoadIntoRefusesADestinationWithoutABuffer) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  float x = 0;
  FlatParams p;
  p.emplace("x", TensorView(DType::F32, {}, &x));
  save_weights(dir / "m.rawt", p);
  MutableParams dst;
  dst.emplace("x", {DType::F32, {}, nullptr});
  EXPECT_THROW(load_weights_into(dir / "m.rawt", dst), Error);
}

TEST(EdgeCases, UnknownLogLevelIsReported) {
  auto r = wtest::run_command({WEIGHTIO_REGISTRY_PROBE}, {"WEIGHTIO_LOG_LEVEL=WARNING"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("WEIGHTIO_LOG_LEVEL='WARNING'"), std::string::npos) << r.err;
}
