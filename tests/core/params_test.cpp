#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

using namespace weightio;

TEST(FlatParams, KeepsInsertionOrder) {
  float a = 1, b = 2, c = 3;
  FlatParams p;
  p.emplace("z", TensorView(DType::F32, {}, &a));
  p.emplace("a", TensorView(DType::F32, {}, &b));
  p.emplace("m", TensorView(DType::F32, {}, &c));
  std::vector<std::string> names;
  for (const auto &[name, view] : p)
    names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"z", "a", "m"}));
  EXPECT_EQ(p.at("a").data<float>()[0], 2.0f);
}

TEST(FlatParams, RefusesDuplicateNamesNamingThem) {
  float a = 1;
  FlatParams p;
  p.emplace("layers.0.weight", TensorView(DType::F32, {}, &a));
  try {
    p.emplace("layers.0.weight", TensorView(DType::F32, {}, &a));
    FAIL() << "duplicate accepted";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("layers.0.weight"), std::string::npos);
    EXPECT_EQ(e.tensor(), "layers.0.weight");
  }
  EXPECT_EQ(p.size(), 1u);
}

TEST(FlatParams, MissingNameThrowsNamingIt) {
  FlatParams p;
  try {
    p.at("nope");
    FAIL();
  } catch (const Error &e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
  EXPECT_EQ(p.find("nope"), nullptr);
}
