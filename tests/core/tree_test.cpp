#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

using namespace weightio;

namespace {

std::vector<std::string> keys(const FlatParams &p) {
  std::vector<std::string> k;
  for (const auto &[name, v] : p)
    k.push_back(name);
  return k;
}

} // namespace

TEST(Tree, FlattenUsesMlxKeys) {
  float w0[4] = {}, b0[2] = {}, w1[4] = {}, e[6] = {};
  ParamTree t;
  t["embed"]["weight"] = TensorView(DType::F32, {2, 3}, e);
  auto &layers = t["layers"];
  ParamTree l0, l1;
  l0["weight"] = TensorView(DType::F32, {2, 2}, w0);
  l0["bias"] = TensorView(DType::F32, {2}, b0);
  l1["weight"] = TensorView(DType::F32, {2, 2}, w1);
  layers.append(l0);
  layers.append(l1);
  FlatParams flat = flatten(t);
  EXPECT_EQ(keys(flat), (std::vector<std::string>{"embed.weight", "layers.0.weight",
                                                  "layers.0.bias", "layers.1.weight"}));
  EXPECT_EQ(flat.at("layers.1.weight").data(), w1);
}

TEST(Tree, UnflattenRebuildsListsAndDicts) {
  float x[1] = {};
  FlatParams flat;
  flat.emplace("layers.0.weight", TensorView(DType::F32, {1}, x));
  flat.emplace("layers.1.weight", TensorView(DType::F32, {1}, x));
  flat.emplace("layers.10.weight", TensorView(DType::F32, {1}, x));
  flat.emplace("norm.scale", TensorView(DType::F32, {1}, x));
  ParamTree t = unflatten(flat);
  ASSERT_TRUE(t.is_dict());
  const auto &layers = t.at("layers");
  ASSERT_TRUE(layers.is_list());
  // MLX fills missing indices with empty dicts, and orders numerically.
  ASSERT_EQ(layers.items().size(), 11u);
  EXPECT_TRUE(layers.at(0).at("weight").is_leaf());
  EXPECT_TRUE(layers.at(5).is_dict());
  EXPECT_TRUE(layers.at(5).entries().empty());
  EXPECT_TRUE(layers.at(10).at("weight").is_leaf());
  EXPECT_TRUE(t.at("norm").at("scale").is_leaf());
}

TEST(Tree, RoundTripPreservesKeysAndData) {
  float a[3] = {1, 2, 3}, b[2] = {4, 5};
  FlatParams flat;
  flat.emplace("model.blocks.0.attn.q", TensorView(DType::F32, {3}, a));
  flat.emplace("model.blocks.0.attn.k", TensorView(DType::F32, {2}, b));
  flat.emplace("model.blocks.1.mlp", TensorView(DType::F32, {2}, b));
  flat.emplace("model.head", TensorView(DType::F32, {3}, a));
  FlatParams again = flatten(unflatten(flat));
  EXPECT_EQ(keys(again), keys(flat));
  for (const auto &[name, v] : flat)
    EXPECT_EQ(again.at(name).data(), v.data()) << name;
}

TEST(Tree, FlattenCollisionNamesBothPaths) {
  float x = 0;
  ParamTree t;
  t["a.b"] = TensorView(DType::F32, {}, &x);
  t["a"]["b"] = TensorView(DType::F32, {}, &x);
  try {
    flatten(t);
    FAIL() << "collision not detected";
  } catch (const Error &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("['a.b']"), std::string::npos) << m;
    EXPECT_NE(m.find("['a']['b']"), std::string::npos) << m;
    EXPECT_NE(m.find("'a.b'"), std::string::npos) << m;
  }
}

TEST(Tree, UnflattenRefusesLeafThatIsAlsoAPrefix) {
  float x = 0;
  FlatParams flat;
  flat.emplace("a", TensorView(DType::F32, {}, &x));
  flat.emplace("a.b", TensorView(DType::F32, {}, &x));
  try {
    unflatten(flat);
    FAIL();
  } catch (const Error &e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'a'"), std::string::npos) << m;
    EXPECT_NE(m.find("'a.b'"), std::string::npos) << m;
  }
}

TEST(Tree, EmptyContainersVanishWhenFlattened) {
  float x = 0;
  ParamTree t;
  t["empty"] = ParamTree::dict();
  t["list"] = ParamTree::list();
  t["w"] = TensorView(DType::F32, {}, &x);
  EXPECT_EQ(keys(flatten(t)), std::vector<std::string>{"w"});
}

TEST(Tree, NodeKindMisuseThrows) {
  float x = 0;
  ParamTree leaf = TensorView(DType::F32, {}, &x);
  EXPECT_THROW(leaf["k"], Error);
  EXPECT_THROW(leaf.items(), Error);
  ParamTree d = ParamTree::dict();
  EXPECT_THROW(d.append(leaf), Error);
  EXPECT_THROW(d.at("missing"), Error);
}
