// The ggml type table against ggml's: ids, names and block geometry as
// ggml/include/ggml.h and ggml-common.h's block structs give them (the
// reference files cover the types they use through their byte counts; the
// rest are checked here against ggml's static_asserts), and the ids ggml
// removed are unknown.
#include "ggml/dequantize.hpp"
#include "ggml/ggml_types.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace weightio::gguf::ggml;

namespace {

struct Geometry {
  uint32_t id;
  const char *name;
  uint32_t block_elems, block_bytes;
};

// From ggml (sizeof(block_*) per ggml-common.h's static_asserts).
constexpr Geometry kGgml[] = {
    {0, "F32", 1, 4},         {1, "F16", 1, 2},         {2, "Q4_0", 32, 18},
    {3, "Q4_1", 32, 20},      {6, "Q5_0", 32, 22},      {7, "Q5_1", 32, 24},
    {8, "Q8_0", 32, 34},      {9, "Q8_1", 32, 36},      {10, "Q2_K", 256, 84},
    {11, "Q3_K", 256, 110},   {12, "Q4_K", 256, 144},   {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210},   {15, "Q8_K", 256, 292},   {16, "IQ2_XXS", 256, 66},
    {17, "IQ2_XS", 256, 74},  {18, "IQ3_XXS", 256, 98}, {19, "IQ1_S", 256, 50},
    {20, "IQ4_NL", 32, 18},   {21, "IQ3_S", 256, 110},  {22, "IQ2_S", 256, 82},
    {23, "IQ4_XS", 256, 136}, {24, "I8", 1, 1},         {25, "I16", 1, 2},
    {26, "I32", 1, 4},        {27, "I64", 1, 8},        {28, "F64", 1, 8},
    {29, "IQ1_M", 256, 56},   {30, "BF16", 1, 2},       {34, "TQ1_0", 256, 54},
    {35, "TQ2_0", 256, 66},   {39, "MXFP4", 32, 17},    {40, "NVFP4", 64, 36},
    {41, "Q1_0", 128, 18},    {42, "Q2_0", 64, 18},
};

TEST(GgmlTypes, MatchGgmlsTable) {
  std::set<uint32_t> known;
  for (const auto &g : kGgml) {
    SCOPED_TRACE(g.name);
    const TypeInfo *t = find_type(g.id);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->name, g.name);
    EXPECT_EQ(t->block_elems, g.block_elems);
    EXPECT_EQ(t->block_bytes, g.block_bytes);
    EXPECT_EQ(find_type(g.name), t);
    known.insert(g.id);
  }
  EXPECT_EQ(all_types().size(), known.size());
  for (uint32_t id = 0; id < 300; ++id)
    if (!known.count(id)) {
      EXPECT_EQ(find_type(id), nullptr) << "id " << id;
    }
}

TEST(GgmlTypes, DequantizableExactlyWhereAReferenceExists) {
  for (const auto &t : all_types()) {
    const bool reference = t.kind != Kind::integer && t.type != Type::Q8_1;
    EXPECT_EQ(t.dequantizable, reference) << t.name;
  }
  uint8_t block[36] = {};
  float out[32];
  EXPECT_THROW(dequantize(*find_type("Q8_1"), block, 0, 1, out, OutType::f32),
               std::invalid_argument);
  EXPECT_THROW(dequantize(*find_type("I32"), block, 0, 1, out, OutType::f32),
               std::invalid_argument);
}

} // namespace
