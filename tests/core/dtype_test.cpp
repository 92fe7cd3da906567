#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

using namespace weightio;

TEST(DType, TableMatchesSafetensorsNamesAndWidths) {
  struct Row {
    DType d;
    const char *name;
    uint32_t bits;
  };
  const Row rows[] = {
      {DType::BOOL, "BOOL", 8},
      {DType::U8, "U8", 8},
      {DType::I8, "I8", 8},
      {DType::U16, "U16", 16},
      {DType::I16, "I16", 16},
      {DType::U32, "U32", 32},
      {DType::I32, "I32", 32},
      {DType::U64, "U64", 64},
      {DType::I64, "I64", 64},
      {DType::F16, "F16", 16},
      {DType::BF16, "BF16", 16},
      {DType::F32, "F32", 32},
      {DType::F64, "F64", 64},
      {DType::C64, "C64", 64},
      {DType::C128, "C128", 128},
      {DType::F8_E4M3, "F8_E4M3", 8},
      {DType::F8_E5M2, "F8_E5M2", 8},
      {DType::F8_E8M0, "F8_E8M0", 8},
      {DType::F8_E4M3FNUZ, "F8_E4M3FNUZ", 8},
      {DType::F8_E5M2FNUZ, "F8_E5M2FNUZ", 8},
      {DType::F4, "F4", 4},
      {DType::F6_E2M3, "F6_E2M3", 6},
      {DType::F6_E3M2, "F6_E3M2", 6},
  };
  EXPECT_EQ(std::size(rows), static_cast<size_t>(kDTypeCount));
  for (const auto &r : rows) {
    EXPECT_EQ(dtype_name(r.d), r.name);
    EXPECT_EQ(dtype_bits(r.d), r.bits) << r.name;
    auto parsed = dtype_from_name(r.name);
    ASSERT_TRUE(parsed.has_value()) << r.name;
    EXPECT_EQ(*parsed, r.d);
  }
}

TEST(DType, ParsingIsExactAndCaseSensitive) {
  EXPECT_FALSE(dtype_from_name("f32").has_value());
  EXPECT_FALSE(dtype_from_name("F33").has_value());
  EXPECT_FALSE(dtype_from_name("").has_value());
  EXPECT_FALSE(dtype_from_name("F32 ").has_value());
  EXPECT_FALSE(dtype_valid(-1));
  EXPECT_FALSE(dtype_valid(kDTypeCount));
  EXPECT_TRUE(dtype_valid(0));
}

TEST(DType, AlignmentIsComponentSize) {
  EXPECT_EQ(dtype_alignment(DType::F32), 4u);
  EXPECT_EQ(dtype_alignment(DType::C64), 4u);
  EXPECT_EQ(dtype_alignment(DType::C128), 8u);
  EXPECT_EQ(dtype_alignment(DType::BF16), 2u);
  EXPECT_EQ(dtype_alignment(DType::F4), 1u);
  EXPECT_EQ(dtype_alignment(DType::U8), 1u);
}

TEST(Shape, SubByteTypesCountBits) {
  EXPECT_EQ(shape_nbytes(DType::F4, {3, 2}), 3u);         // 6 x 4 bits
  EXPECT_EQ(shape_nbytes(DType::F6_E2M3, {4}), 3u);       // 4 x 6 bits
  EXPECT_THROW(shape_nbytes(DType::F4, {3}), Error);      // 12 bits: not whole bytes
  EXPECT_THROW(shape_nbytes(DType::F6_E3M2, {3}), Error); // 18 bits
  EXPECT_EQ(shape_nbytes(DType::C128, {2}), 32u);
  EXPECT_EQ(shape_nbytes(DType::F32, {}), 4u); // scalar
  EXPECT_EQ(shape_nbytes(DType::F32, {0, 7}), 0u);
}

TEST(Shape, OverflowAndNegativeExtentsThrow) {
  const int64_t big = std::numeric_limits<int64_t>::max();
  EXPECT_THROW(shape_numel({big, big}), Error);
  EXPECT_THROW(shape_numel({-1}), Error);
  // Element count fits, bytes do not.
  EXPECT_THROW(shape_nbytes(DType::F64, {int64_t{1} << 62}), Error);
  EXPECT_EQ(shape_numel({int64_t{1} << 31, 4}), uint64_t{1} << 33);
  // A zero extent makes any product zero, even beside a huge one.
  EXPECT_EQ(shape_numel({0, big, big}), 0u);
  try {
    shape_nbytes(DType::F32, {big, 2});
    FAIL();
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("invalid shape"), std::string::npos);
  }
}

TEST(TensorView, RejectsNullDataForNonEmptyTensor) {
  EXPECT_THROW(TensorView(DType::F32, {2}, nullptr), Error);
  EXPECT_NO_THROW(TensorView(DType::F32, {0}, nullptr));
}

TEST(TensorView, TypedAccessChecksWidth) {
  float x[2] = {1, 2};
  TensorView v(DType::F32, {2}, x);
  EXPECT_EQ(v.data<float>()[1], 2.0f);
  EXPECT_THROW(v.data<double>(), Error);
  EXPECT_NO_THROW(v.data<uint8_t>());
}

TEST(Tensor, CopiesAreAlignedAndIndependentOfTheSource) {
  std::vector<double> src{1.5, 2.5, 3.5};
  Tensor t = Tensor::copy_of(TensorView(DType::F64, {3}, src.data()));
  src[0] = 99;
  EXPECT_EQ(t.data<double>()[0], 1.5);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  EXPECT_FALSE(t.is_mapped());
  Tensor z = Tensor::zeros(DType::I32, {2, 2});
  EXPECT_EQ(z.data<int32_t>()[3], 0);
  static_cast<int32_t *>(z.mutable_data())[3] = 7;
  EXPECT_EQ(z.data<int32_t>()[3], 7);
}

TEST(Tensor, RefusesMisalignedData) {
  alignas(8) uint8_t bytes[16] = {};
  auto owner = std::shared_ptr<const void>(bytes, [](const void *) {});
  EXPECT_THROW(Tensor(DType::F32, {2}, bytes + 1, owner), Error);
  EXPECT_NO_THROW(Tensor(DType::U8, {2}, bytes + 1, owner));
}
