// The npz plugin's error messages: a NUL or a control
// character in a member or tensor name arrives escaped, so the C error
// buffer never cuts the message and no escape sequence reaches a terminal
// raw; counts agree in number.
#include "../reliability/hostile_builders.hpp"
#include "npz_test_util.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <algorithm>

using namespace weightio;
using npztest::contains;

namespace {

std::string load_error(const std::vector<uint8_t> &bytes) {
  LoadOptions o;
  o.format = "npz";
  try {
    load_weights_from_memory(bytes, o);
  } catch (const Error &e) {
    return e.what();
  }
  ADD_FAILURE() << "loaded without error";
  return {};
}

const std::string kOk = wrel::npy("<f4", "(2,)", wrel::floats(2));

TEST(NpzMessages, ANulInAMemberNameIsEscapedAndTheReasonKept) {
  const std::string name("a\0b.npy", 7);
  const std::string msg = load_error(wrel::zip_file({wrel::stored(name, kOk)}));
  EXPECT_TRUE(contains(msg, "member 'a\\x00b.npy': the name contains a NUL byte")) << msg;
  EXPECT_EQ(msg.find('\0'), std::string::npos);
}

TEST(NpzMessages, ControlCharactersInAMemberNameAreEscaped) {
  // A member whose CRC is wrong, named to repaint a terminal and forge a line.
  wrel::ZipMember m = wrel::stored("evil\x1b[31m\nok: 0 tensors\t\x7f.npy", kOk);
  m.crc = 0;
  const std::string msg = load_error(wrel::zip_file({m}));
  EXPECT_TRUE(contains(msg, "member 'evil\\x1b[31m\\nok: 0 tensors\\t\\x7f.npy': CRC-32 mismatch"))
      << msg;
  for (const char c : msg)
    EXPECT_FALSE((static_cast<unsigned char>(c) < 0x20 || c == 0x7f)) << msg;
}

TEST(NpzMessages, UnicodeInAMemberNameIsKept) {
  wrel::ZipMember m = wrel::stored("caf\xc3\xa9.npy", kOk);
  m.crc = 0;
  // No UTF-8 flag, so the name is CP437: 0xC3 0xA9 are '├' and '⌐'. Kept as
  // UTF-8 text, not escaped.
  const std::string msg = load_error(wrel::zip_file({m}));
  EXPECT_TRUE(contains(msg, "member 'caf\xe2\x94\x9c\xe2\x8c\x90.npy'")) << msg;
}

TEST(NpzMessages, AVeryLongNameIsCutInTheMessage) {
  wrel::ZipMember m = wrel::stored(std::string(5000, 'x') + ".npy", kOk);
  m.crc = 0;
  const std::string msg = load_error(wrel::zip_file({m}));
  EXPECT_TRUE(contains(msg, "member '" + std::string(256, 'x') + "'... (5004 bytes): CRC-32"))
      << msg;
}

TEST(NpzMessages, ATensorNameWithANulIsEscapedWhenASaveIsRefused) {
  wtest::TempDir dir;
  const float v[2] = {1, 2};
  FlatParams p;
  p.emplace(std::string("w\0x", 3), TensorView(DType::F32, {2}, v));
  try {
    save_weights(dir / "out.npz", p);
    ADD_FAILURE() << "saved a name numpy cannot read back";
  } catch (const Error &e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, "tensor 'w\\x00x': npz member names must be UTF-8 without NUL"))
        << msg;
  }
}

TEST(NpzMessages, CountsAgreeInNumber) {
  // One member listed, one more local header not: "1 member".
  const auto one = wrel::zip_file({wrel::stored("a.npy", kOk), wrel::stored("b.npy", kOk)});
  // Drop b's central entry and count one member: the directory lists only
  // a, and b's local header lies unlisted before it.
  std::vector<uint8_t> bytes = one;
  const std::string sig("PK\x01\x02", 4);
  const auto a_entry = std::search(bytes.begin(), bytes.end(), sig.begin(), sig.end());
  ASSERT_NE(a_entry, bytes.end());
  const auto b_entry = std::search(a_entry + 1, bytes.end(), sig.begin(), sig.end());
  ASSERT_NE(b_entry, bytes.end());
  const auto b_size = static_cast<uint32_t>(bytes.end() - 22 - b_entry);
  bytes.erase(b_entry, bytes.end() - 22);
  uint8_t *end_record = bytes.data() + bytes.size() - 22;
  end_record[8] = end_record[10] = 1;
  const uint32_t cd_size = (end_record[12] | end_record[13] << 8) - b_size;
  end_record[12] = static_cast<uint8_t>(cd_size);
  end_record[13] = static_cast<uint8_t>(cd_size >> 8);
  const std::string msg = load_error(bytes);
  EXPECT_TRUE(contains(msg, "is not in the central directory, which lists 1 member (")) << msg;

  LoadOptions o;
  o.format = "npz";
  o.limits.max_tensors = 1;
  try {
    load_weights_from_memory(one, o);
    ADD_FAILURE() << "loaded past the limit";
  } catch (const Error &e2) {
    EXPECT_TRUE(contains(e2.what(), "member count 2 is over the limit 1 (max_tensors)"))
        << e2.what();
    EXPECT_EQ(e2.limit(), "max_tensors");
  }
}

} // namespace
