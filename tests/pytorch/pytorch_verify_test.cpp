// `verify` (LoadOptions::verify) checks every record's CRC-32, which a plain
// load, like torch.load, does not: a flipped byte in a storage record loads
// as it is but fails verification naming the record.
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

using namespace weightio;

TEST(PytorchVerify, AFlippedStorageByteFailsVerifyNamingTheRecord) {
  wtest::TempDir dir;
  const std::vector<float> data(64, 1.0f);
  FlatParams p;
  p.emplace("w", TensorView(DType::F32, {64}, data.data()));
  save_weights(dir / "m.pt", p);
  LoadOptions verify;
  verify.verify = true;
  EXPECT_EQ(load_weights(dir / "m.pt", verify).size(), 1u);

  // The storage record holds 64 floats 1.0 (0x3f800000): flip one of them.
  std::vector<uint8_t> bytes = wtest::read_bytes(dir / "m.pt");
  const uint8_t one[4] = {0x00, 0x00, 0x80, 0x3f};
  auto at = std::search(bytes.begin(), bytes.end(), one, one + 4);
  ASSERT_NE(at, bytes.end());
  at[2] ^= 0x01;
  wtest::write_bytes(dir / "m.pt", bytes);

  EXPECT_NE(*load_weights(dir / "m.pt").at("w").data<float>(), 1.0f); // torch reads it too
  try {
    (void)load_weights(dir / "m.pt", verify);
    FAIL() << "verify accepted a record whose bytes disagree with its CRC-32";
  } catch (const FormatError &e) {
    EXPECT_NE(std::string(e.what()).find("CRC-32 mismatch 'archive/data/0'"), std::string::npos)
        << e.what();
  }
}
