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

// Names come from files: nesting and list indices a hostile file could use to
// exhaust the stack or memory are refused with the name, not obeyed.
TEST(Tree, UnflattenRefusesNamesTooDeepOrIndicesTooSparse) {
  float x = 0;
  auto expect_refused = [&](const std::string &name, const std::string &why) {
    FlatParams flat;
    flat.emplace("ok.0", TensorView(DType::F32, {}, &x));
    flat.emplace(name, TensorView(DType::F32, {}, &x));
    try {
      unflatten(flat);
      ADD_FAILURE() << "accepted " << name.substr(0, 40);
    } catch (const Error &e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
      EXPECT_EQ(e.tensor(), name);
    }
  };
  std::string deep = "a";
  for (size_t i = 0; i < kMaxTreeDepth; ++i)
    deep += ".a";
  expect_refused(deep, "deeper than");
  expect_refused("ok.999999999", "list index 999999999");
  expect_refused("ok." + std::to_string(kMaxListGap + 2), "empty entries");

  // Just inside both limits is rebuilt as MLX would.
  FlatParams fine;
  std::string nested = "a";
  for (size_t i = 1; i + 1 < kMaxTreeDepth; ++i)
    nested += ".a";
  fine.emplace(nested, TensorView(DType::F32, {}, &x));
  fine.emplace("l." + std::to_string(kMaxListGap), TensorView(DType::F32, {}, &x));
  const ParamTree t = unflatten(fine);
  ASSERT_EQ(t.at("l").items().size(), kMaxListGap + 1);
  EXPECT_TRUE(t.at("l").items()[0].is_dict());
  EXPECT_TRUE(t.at("l").items()[kMaxListGap].is_leaf());
  const ParamTree *n = &t;
  for (size_t i = 0; i + 1 < kMaxTreeDepth; ++i)
    n = &n->at("a");
  EXPECT_TRUE(n->is_leaf());
}

// A dict keeps insertion order and finds each key again, also when it is
// wide (20,000 siblings; their lookups are hashed).
TEST(Tree, WideDictsKeepOrderAndFindEveryKey) {
  std::vector<float> v(20000);
  FlatParams flat;
  for (size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<float>(i);
    flat.emplace("k" + std::to_string(i), TensorView(DType::F32, {}, &v[i]));
  }
  ParamTree t = unflatten(flat);
  ASSERT_EQ(t.entries().size(), v.size());
  size_t i = 0;
  for (const auto &[name, child] : flat) { // FlatParams order
    EXPECT_EQ(t.entries()[i].first, name);
    EXPECT_EQ(t.at(name).leaf().data(), child.data());
    ++i;
  }
  ParamTree &again = t["k7"]; // an existing key: the same node, no new entry
  EXPECT_EQ(again.leaf().data(), &v[7]);
  EXPECT_EQ(t.entries().size(), v.size());
  t["new"] = ParamTree(TensorView(DType::F32, {}, &v[0]));
  EXPECT_EQ(t.entries().back().first, "new");
  EXPECT_THROW((void)t.at("absent"), Error);
}
