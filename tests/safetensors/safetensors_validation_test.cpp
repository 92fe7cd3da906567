// Hand-made headers beyond the reference set: what the safetensors spec and
// the official reader (serde_json into usize / String / the Dtype enum) refuse,
// and the duplicate keys the spec forbids but the official reader lets pass.
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

using namespace weightio;

namespace {

std::vector<uint8_t> craft(const std::string &header, const std::string &data = {}) {
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

struct Case {
  const char *what;
  std::string header;
  std::string data;
  const char *phrase; // docs/safetensors.md's phrase for the error kind
  const char *detail; // and something the message must also say
};

// A header whose JSON is fine apart from the one thing each case changes.
std::string one(const std::string &entry) {
  return "{\"a\":{" + entry + "}}";
}

const std::vector<Case> &refused_cases() {
  static const std::vector<Case> cases = {
      // Duplicate keys: refused by the spec, not by the official reader.
      {"duplicate tensor name",
       "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
       "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
       "xy", "bad header JSON", "'a' appears twice"},
      {"duplicate __metadata__", "{\"__metadata__\":{},\"__metadata__\":null}", "",
       "bad header JSON", "\"__metadata__\" appears twice"},
      {"duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", "",
       "bad header JSON", "'k' appears twice"},
      {"duplicate field",
       one("\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]"), "x",
       "bad header JSON", "'dtype' appears twice"},
      {"duplicate key in an unknown field",
       one("\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":[{\"q\":1,\"q\":2}]"), "x",
       "bad header JSON", "'q'"},
      {"escaped duplicate tensor name",
       "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
       "\"\\u0061\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
       "xy", "bad header JSON", "'a' appears twice"},
      // The shape of the JSON.
      {"top level is an array", "[]", "", "bad header JSON", "object"},
      {"tensor entry is an array", "{\"a\":[\"U8\",[1],[0,1]]}", "x", "bad header JSON", "'a'"},
      {"missing shape", one("\"dtype\":\"U8\",\"data_offsets\":[0,1]"), "x", "bad header JSON",
       "missing field \"shape\""},
      {"missing dtype", one("\"shape\":[1],\"data_offsets\":[0,1]"), "x", "bad header JSON",
       "missing field \"dtype\""},
      {"missing data_offsets", one("\"dtype\":\"U8\",\"shape\":[1]"), "x", "bad header JSON",
       "missing field \"data_offsets\""},
      {"C128 is not a safetensors dtype",
       one("\"dtype\":\"C128\",\"shape\":[1],\"data_offsets\":[0,16]"), std::string(16, 'x'),
       "bad header JSON", "'C128'"},
      {"dtype not a string", one("\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,1]"), "x",
       "bad header JSON", "dtype"},
      {"negative extent", one("\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,0]"), "",
       "bad header JSON", "negative"},
      {"minus zero", one("\"dtype\":\"U8\",\"shape\":[-0],\"data_offsets\":[0,0]"), "",
       "bad header JSON", "negative"},
      {"fractional extent", one("\"dtype\":\"U8\",\"shape\":[1.0],\"data_offsets\":[0,1]"), "x",
       "bad header JSON", "1.0"},
      {"exponent", one("\"dtype\":\"U8\",\"shape\":[1e0],\"data_offsets\":[0,1]"), "x",
       "bad header JSON", "1e0"},
      {"extent above 2^64-1",
       one("\"dtype\":\"U8\",\"shape\":[18446744073709551616],\"data_offsets\":[0,1]"), "x",
       "bad header JSON", "18446744073709551616"},
      {"three offsets", one("\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,1]"), "x",
       "bad header JSON", "two integers"},
      {"one offset", one("\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]"), "x",
       "bad header JSON", "two integers"},
      {"negative offset", one("\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[-1,0]"), "",
       "bad header JSON", "negative"},
      {"metadata value not a string", "{\"__metadata__\":{\"k\":1}}", "", "bad header JSON", "'k'"},
      {"metadata an array", "{\"__metadata__\":[]}", "", "bad header JSON", "__metadata__"},
      {"byte order mark", "\xEF\xBB\xBF{}", "", "bad header JSON", "byte order mark"},
      {"NUL after the JSON", std::string("{}\0", 3), "", "bad header JSON", "NUL"},
      {"garbage after the JSON", "{} x", "", "bad header JSON", "not valid JSON"},
      {"unescaped control character", "{\"a\x01\":{}}", "", "bad header JSON", "not valid JSON"},
      {"lone surrogate escape", "{\"\\ud800\":{}}", "", "bad header JSON", "not valid JSON"},
      {"nested 128 deep",
       one("\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":" + std::string(126, '[') +
           std::string(126, ']')),
       "x", "bad header JSON", "127"},
      // UTF-8 as Rust's from_utf8 sees it.
      {"overlong UTF-8", "{\"\xC0\xAF\":{}}", "", "header not UTF-8", "0xc0"},
      {"UTF-8 encoded surrogate", "{\"\xED\xA0\x80\":{}}", "", "header not UTF-8", "0xed"},
      {"truncated UTF-8", "{\"\xE6\x9D\":{}}", "", "header not UTF-8", "offset 2"},
      // The layout checks.
      {"sub-byte tensor ending mid-byte",
       one("\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]"), "xx", "partial byte", "'a'"},
      {"element count overflows",
       one("\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]"), "",
       "shape overflow", "'a'"},
      {"bit count overflows",
       one("\"dtype\":\"F64\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]"), "",
       "shape overflow", "'a'"},
      {"same offsets twice",
       "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
       "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}",
       "xx", "bad data_offsets", "'b'"},
  };
  return cases;
}

class RefusedHeader : public ::testing::TestWithParam<size_t> {};

} // namespace

TEST_P(RefusedHeader, IsRefusedWithTheRightKind) {
  const Case &c = refused_cases()[GetParam()];
  SCOPED_TRACE(c.what);
  wtest::TempDir dir;
  const auto path = dir / "crafted.safetensors";
  wtest::write_bytes(path, craft(c.header, c.data));
  try {
    (void)load_weights(path);
    FAIL() << c.what << ": accepted";
  } catch (const FormatError &e) {
    const std::string msg = e.what();
    EXPECT_EQ(e.code(), ErrorCode::InvalidFile);
    EXPECT_NE(msg.find("crafted.safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.phrase), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.detail), std::string::npos) << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(Safetensors, RefusedHeader,
                         ::testing::Range(size_t{0}, refused_cases().size()));

TEST(SafetensorsReader, AcceptsWhatTheOfficialReaderAccepts) {
  // The controls of the cases above: each is one step from a refused header.
  const std::vector<std::pair<std::string, std::string>> ok = {
      {one("\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":[{\"q\":1,\"r\":2}]"), "x"},
      {one("\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":" + std::string(125, '[') +
           std::string(125, ']')),
       "x"}, // 127 levels in all
      {"{\"__metadata__\":{\"k\":\"1\",\"K\":\"2\"}}", ""},
      {"{\"__metadata__\":null}", ""},
      {one("\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,2]"), "xx"},
      {one("\"dtype\":\"F6_E3M2\",\"shape\":[4],\"data_offsets\":[0,3]"), "xxx"},
      {one("\"dtype\":\"F32\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[0,0]"), ""},
      {" \t\r\n{}\r\n\t ", ""},
      {"{\"\\u00e9\\ud83d\\ude00\\/x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
       "x"},
  };
  wtest::TempDir dir;
  for (const auto &[header, data] : ok) {
    SCOPED_TRACE(header.substr(0, 120));
    const auto path = dir / "ok.safetensors";
    wtest::write_bytes(path, craft(header, data));
    EXPECT_NO_THROW((void)load_weights(path));
  }
}

TEST(SafetensorsReader, SkippedTensorsAreStillValidated) {
  // "b" is cut short; asking only for "a" must not let the file through.
  const std::string header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                             "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1,5]}}";
  wtest::TempDir dir;
  const auto path = dir / "skip.safetensors";
  wtest::write_bytes(path, craft(header, "xyzab"));
  LoadOptions opts;
  opts.only = {"a"};
  try {
    (void)load_weights(path, opts);
    FAIL() << "accepted";
  } catch (const FormatError &e) {
    EXPECT_NE(std::string(e.what()).find("tensor size mismatch"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'b'"), std::string::npos) << e.what();
  }
}

TEST(SafetensorsReader, NamesAreUnescapedAndDataOrderWins) {
  // Header order b, a; data order a, b.
  const std::string header = "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]},"
                             "\"\\u0061\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
  wtest::TempDir dir;
  const auto path = dir / "order.safetensors";
  wtest::write_bytes(path, craft(header, "123"));
  const Weights w = load_weights(path);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w.begin()->first, "a");
  EXPECT_EQ(w.at("a").data<uint8_t>()[0], '1');
  EXPECT_EQ(w.at("b").data<uint8_t>()[1], '3');
}
