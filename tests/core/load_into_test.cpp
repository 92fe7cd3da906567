#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

using namespace weightio;

namespace {

void save_model(const std::filesystem::path &path) {
  static std::vector<float> w(6, 2.0f), b(3, 0.5f);
  static std::vector<int32_t> extra(2, 9);
  FlatParams p;
  p.emplace("w", TensorView(DType::F32, {2, 3}, w.data()));
  p.emplace("b", TensorView(DType::F32, {3}, b.data()));
  p.emplace("extra", TensorView(DType::I32, {2}, extra.data()));
  save_weights(path, p);
}

} // namespace

TEST(LoadInto, StrictReportsEveryProblemByName) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  save_model(dir / "m.rawt");
  std::vector<float> w(6), b(4);
  std::vector<double> missing(1);
  MutableParams dst;
  dst.emplace("w", {DType::F64, {2, 3}, w.data()});       // dtype differs
  dst.emplace("b", {DType::F32, {4}, b.data()});          // shape differs
  dst.emplace("gone", {DType::F64, {1}, missing.data()}); // not in the file
  try {
    load_weights_into(dir / "m.rawt", dst, /*strict=*/true);
    FAIL();
  } catch (const MismatchError &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'w' has dtype F32"), std::string::npos) << m;
    EXPECT_NE(m.find("'b' has shape [3]"), std::string::npos) << m;
    EXPECT_NE(m.find("missing 'gone'"), std::string::npos) << m;
    EXPECT_NE(m.find("unexpected 'extra'"), std::string::npos) << m;
  }
  EXPECT_EQ(w[0], 0.0f); // nothing copied on failure
}

TEST(LoadInto, StrictCopiesWhenEverythingMatches) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  save_model(dir / "m.rawt");
  std::vector<float> w(6), b(3);
  std::vector<int32_t> extra(2);
  MutableParams dst;
  dst.emplace("w", {DType::F32, {2, 3}, w.data()});
  dst.emplace("b", {DType::F32, {3}, b.data()});
  dst.emplace("extra", {DType::I32, {2}, extra.data()});
  auto copied = load_weights_into(dir / "m.rawt", dst);
  EXPECT_EQ(copied.size(), 3u);
  EXPECT_EQ(w[5], 2.0f);
  EXPECT_EQ(b[2], 0.5f);
  EXPECT_EQ(extra[1], 9);
}

TEST(LoadInto, NonStrictLoadsWhatMatches) {
  wtest::load_test_plugin("rawt");
  wtest::TempDir dir;
  save_model(dir / "m.rawt");
  std::vector<float> w(6), b(4);
  MutableParams dst;
  dst.emplace("w", {DType::F32, {2, 3}, w.data()});
  dst.emplace("b", {DType::F32, {4}, b.data()});
  auto copied = load_weights_into(dir / "m.rawt", dst, /*strict=*/false);
  EXPECT_EQ(copied, std::vector<std::string>{"w"});
  EXPECT_EQ(w[0], 2.0f);
  EXPECT_EQ(b[0], 0.0f);
}
