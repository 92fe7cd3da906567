// Tensor::placement(): how each loaded tensor's bytes reached memory, for
// the files and options that give each kind.
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

namespace {

using namespace weightio;

FlatParams two_tensors(std::vector<float> &a, std::vector<int64_t> &b) {
  FlatParams p;
  p.emplace("a", TensorView(DType::F32, {4, 8}, a.data()));
  p.emplace("b", TensorView(DType::I64, {3}, b.data()));
  return p;
}

class Placements : public ::testing::Test {
protected:
  std::vector<float> a = std::vector<float>(32, 1.5f);
  std::vector<int64_t> b{1, -2, 3};
  FlatParams params = two_tensors(a, b);
  wtest::TempDir dir;
};

TEST(Placement, NamesAreTheSchemaWords) {
  EXPECT_EQ(placement_name(Placement::none), "none");
  EXPECT_EQ(placement_name(Placement::mapped), "mapped");
  EXPECT_EQ(placement_name(Placement::copied), "copied");
  EXPECT_EQ(placement_name(Placement::gathered), "gathered");
  EXPECT_EQ(placement_name(Placement::decoded), "decoded");
  EXPECT_EQ(placement_name(Placement::fetched), "fetched");
}

TEST(Placement, TensorsTheProgramMakes) {
  EXPECT_EQ(Tensor().placement(), Placement::none);
  EXPECT_EQ(Tensor::zeros(DType::F32, {2}).placement(), Placement::copied);
  float x = 1;
  EXPECT_EQ(Tensor::copy_of(TensorView(DType::F32, {}, &x)).placement(), Placement::copied);
  EXPECT_EQ(Tensor(DType::F32, {}, &x, nullptr, /*mapped=*/true).placement(), Placement::mapped);
}

TEST_F(Placements, AlignedSafetensorsTensorsAreMapped) {
  save_weights(dir / "m.safetensors", params);
  for (const auto &[name, t] : load_weights(dir / "m.safetensors")) {
    EXPECT_EQ(t.placement(), Placement::mapped) << name;
    EXPECT_TRUE(t.is_mapped()) << name;
  }
}

TEST_F(Placements, ReadIntoMemoryCopies) {
  save_weights(dir / "m.safetensors", params);
  LoadOptions o;
  o.read_into_memory = true;
  for (const auto &[name, t] : load_weights(dir / "m.safetensors", o)) {
    EXPECT_EQ(t.placement(), Placement::copied) << name;
    EXPECT_FALSE(t.is_mapped()) << name;
  }
}

TEST(Placement, MisalignedSafetensorsTensorIsCopiedItsAlignedNeighbourMapped) {
  // "a" is U8 (no alignment to keep); "b" is F32 at an offset not a multiple of 4.
  const Weights w =
      load_weights(wtest::data_path("safetensors/h01_unsorted_misaligned.safetensors"));
  EXPECT_EQ(w.at("a").placement(), Placement::mapped);
  EXPECT_EQ(w.at("b").placement(), Placement::copied);
}

TEST_F(Placements, NpzStoredMembersAreMappedCompressedOnesDecoded) {
  save_weights(dir / "stored.npz", params);
  for (const auto &[name, t] : load_weights(dir / "stored.npz"))
    EXPECT_EQ(t.placement(), Placement::mapped) << name;
  SaveOptions z;
  z.compression = 6;
  save_weights(dir / "deflated.npz", params, z);
  for (const auto &[name, t] : load_weights(dir / "deflated.npz"))
    EXPECT_EQ(t.placement(), Placement::decoded) << name;
}

TEST(Placement, NpzFortranOrderAndBigEndianMembersAreDecoded) {
  const Weights f = load_weights(wtest::data_path("npz/n05_fortran_order.npz"));
  EXPECT_EQ(f.at("f").placement(), Placement::decoded); // reordered into C order
  const Weights be = load_weights(wtest::data_path("npz/n06_big_endian.npz"));
  EXPECT_EQ(be.at("be_i8").placement(), Placement::decoded); // byte-swapped
  // numpy does not align members: this little-endian one is at an offset
  // not a multiple of 8 and comes out as an aligned copy.
  EXPECT_EQ(be.at("le_f8").placement(), Placement::copied);
}

TEST(Placement, GgufBlocksAreMappedOrDecodedWhenDequantized) {
  const auto file = wtest::data_path("gguf/g05_quantize.gguf");
  const Weights raw = load_weights(file);
  const Weights deq = load_weights(file, [] {
    LoadOptions o;
    o.format_options["dequantize"] = "f32";
    return o;
  }());
  size_t blocks = 0;
  for (const auto &[name, t] : raw) {
    if (t.block_type() == nullptr)
      continue;
    ++blocks;
    EXPECT_EQ(t.placement(), Placement::mapped) << name;
    EXPECT_EQ(deq.at(name).placement(), Placement::decoded) << name;
  }
  EXPECT_GT(blocks, 0u);
  // Every tensor of this big-endian file has elements wider than a byte.
  for (const auto &[name, t] : load_weights(wtest::data_path("gguf/g14_big_endian.gguf")))
    EXPECT_EQ(t.placement(), Placement::decoded) << name << " (byte-swapped)";
}

TEST_F(Placements, MemoryInputIsMappedWhenLentCopiedWhenCopied) {
  auto bytes = std::make_shared<const std::vector<uint8_t>>(save_weights_to_memory(params, [] {
    SaveOptions o;
    o.format = "safetensors";
    return o;
  }()));
  LoadOptions o;
  o.format = "safetensors";
  const Weights lent = load_weights_from_memory(*bytes, o, bytes);
  EXPECT_EQ(lent.at("a").placement(), Placement::mapped);
  EXPECT_FALSE(lent.at("a").is_mapped()); // no file map behind it
  const Weights copied = load_weights_from_memory(*bytes, o);
  EXPECT_EQ(copied.at("a").placement(), Placement::copied);
}

TEST_F(Placements, DescriptionsHaveNone) {
  save_weights(dir / "m.safetensors", params);
  LoadOptions o;
  o.describe_only = true;
  for (const auto &[name, t] : load_weights(dir / "m.safetensors", o))
    EXPECT_EQ(t.placement(), Placement::none) << name;
}

TEST_F(Placements, LoadIntoReportsCopiesAndDecodes) {
  save_weights(dir / "m.safetensors", params);
  SaveOptions z;
  z.compression = 6;
  save_weights(dir / "m.npz", params, z);
  std::vector<float> a2(32);
  std::vector<int64_t> b2(3);
  MutableParams into;
  into.emplace("a", MutableTensorView{DType::F32, {4, 8}, a2.data()});
  into.emplace("b", MutableTensorView{DType::I64, {3}, b2.data()});
  std::vector<Placement> seen;
  LoadOptions o;
  o.threads = 1;
  o.on_ready = [&](const std::string &, const Tensor &t) { seen.push_back(t.placement()); };
  load_weights_into(dir / "m.safetensors", into, true, o);
  EXPECT_EQ(seen, (std::vector<Placement>{Placement::copied, Placement::copied}));
  seen.clear();
  load_weights_into(dir / "m.npz", into, true, o);
  EXPECT_EQ(seen, (std::vector<Placement>{Placement::decoded, Placement::decoded}));
}

} // namespace
