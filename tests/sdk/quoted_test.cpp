// sdk::quoted, the one way a name from a file appears in a message, and the
// SDK's strict UTF-8 check it relies on.
#include <weightio/quoted.hpp>
#include <weightio/utf8.hpp>

#include <gtest/gtest.h>

#include <string>

using weightio::sdk::first_invalid_utf8;
using weightio::sdk::is_utf8;
namespace sdk = weightio::sdk;

namespace {

TEST(SdkQuoted, KeepsPlainTextAndUtf8AsItIs) {
  EXPECT_EQ(sdk::quoted("model.layers.0.weight"), "'model.layers.0.weight'");
  EXPECT_EQ(sdk::quoted(""), "''");
  EXPECT_EQ(sdk::quoted("caf\xc3\xa9 \xe6\x9d\x83\xe9\x87\x8d \xf0\x9f\x98\x80"),
            "'caf\xc3\xa9 \xe6\x9d\x83\xe9\x87\x8d \xf0\x9f\x98\x80'");
  // Neither the quote nor the backslash is escaped: the text is for reading.
  EXPECT_EQ(sdk::quoted("it's a\\b"), "'it's a\\b'");
}

TEST(SdkQuoted, EscapesC0ControlsAndDel) {
  EXPECT_EQ(sdk::quoted("a\nb\tc"), "'a\\nb\\tc'");
  EXPECT_EQ(sdk::quoted(std::string("a\0b", 3)), "'a\\x00b'");
  EXPECT_EQ(sdk::quoted("\r\x1b[31m\x7f"), "'\\x0d\\x1b[31m\\x7f'");
  EXPECT_EQ(sdk::quoted("\x01\x1f"), "'\\x01\\x1f'");
}

TEST(SdkQuoted, EscapesC1ControlsAsCodePoints) {
  EXPECT_EQ(sdk::quoted("v\xc2\x9b"
                        "alue"),
            "'v\\u009balue'"); // U+009B, CSI
  EXPECT_EQ(sdk::quoted("\xc2\x80\xc2\x9f"), "'\\u0080\\u009f'");
  // U+00A0 and U+00E9, just past the C1 block, are ordinary text.
  EXPECT_EQ(sdk::quoted("\xc2\xa0\xc3\xa9"), "'\xc2\xa0\xc3\xa9'");
}

TEST(SdkQuoted, EscapesBidiControls) {
  EXPECT_EQ(sdk::quoted("w\xe2\x80\xae"
                        "gnp.exe"),
            "'w\\u202egnp.exe'"); // RLO
  EXPECT_EQ(sdk::quoted("\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f"), "'\\u061c\\u200e\\u200f'");
  EXPECT_EQ(sdk::quoted("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9"), "'\\u202a\\u2066\\u2069'");
  // The line and paragraph separators could start a forged line in a log
  // viewer.
  EXPECT_EQ(sdk::quoted("a\xe2\x80\xa8"
                        "b\xe2\x80\xa9"),
            "'a\\u2028b\\u2029'");
  // Neighbours of the escaped ranges stay: U+200D (ZWJ), U+2027, U+206A.
  EXPECT_EQ(sdk::quoted("\xe2\x80\x8d\xe2\x80\xa7\xe2\x81\xaa"),
            "'\xe2\x80\x8d\xe2\x80\xa7\xe2\x81\xaa'");
}

TEST(SdkEscaped, EscapesAWholeTextWithoutQuotesOrCut) {
  const std::string name = "w\x1b[31m\xe2\x80\xae\xff\n";
  const std::string text = "cannot load 'f': tensor " + name + " is " + std::string(400, 'x');
  EXPECT_EQ(sdk::escaped(text),
            "cannot load 'f': tensor w\\x1b[31m\\u202e\\xff\\n is " + std::string(400, 'x'));
  // Its output, and a message built from quoted() names, pass through it
  // unchanged: a last pass over a message never escapes a name twice.
  EXPECT_EQ(sdk::escaped(sdk::escaped(text)), sdk::escaped(text));
  const std::string message = "tensor " + sdk::quoted(name) + " has dtype C64, a\\b";
  EXPECT_EQ(sdk::escaped(message), message);
}

TEST(SdkQuoted, EscapesEachInvalidByte) {
  EXPECT_EQ(sdk::quoted("x\xff\xfe.npz"), "'x\\xff\\xfe.npz'");
  EXPECT_EQ(sdk::quoted("\xc0\xaf"), "'\\xc0\\xaf'");                   // overlong '/'
  EXPECT_EQ(sdk::quoted("\xed\xa0\x80"), "'\\xed\\xa0\\x80'");          // a surrogate
  EXPECT_EQ(sdk::quoted("\xf4\x90\x80\x80"), "'\\xf4\\x90\\x80\\x80'"); // above U+10FFFF
  EXPECT_EQ(sdk::quoted("\xe6\x9d"), "'\\xe6\\x9d'");                   // cut short
  EXPECT_EQ(sdk::quoted("\x80"
                        "a"),
            "'\\x80a'"); // stray continuation
}

TEST(SdkQuoted, CutsLongNamesAtACharacterAndGivesTheLength) {
  const std::string exact(weightio::sdk::kQuotedMaxBytes, 'x');
  EXPECT_EQ(sdk::quoted(exact), "'" + exact + "'");
  EXPECT_EQ(sdk::quoted(std::string(5004, 'x')), "'" + exact + "'... (5004 bytes)");
  // A three-byte character straddling byte 256 is left out whole.
  const std::string name = std::string(254, 'a') + "\xe6\x9d\x83" + "b";
  EXPECT_EQ(sdk::quoted(name), "'" + std::string(254, 'a') + "'... (258 bytes)");
  // An escaped byte counts as the one byte it is in the name.
  const std::string controls(300, '\n');
  std::string shown;
  for (int i = 0; i < 256; ++i)
    shown += "\\n";
  EXPECT_EQ(sdk::quoted(controls), "'" + shown + "'... (300 bytes)");
}

TEST(SdkUtf8, FindsTheFirstInvalidByte) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("plain ascii text, long enough for the word skip"));
  EXPECT_TRUE(is_utf8("\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"));
  EXPECT_EQ(first_invalid_utf8("abcdefghijklmnop\xc0\xaf"), 16u);
  EXPECT_EQ(first_invalid_utf8("ab\xed\xa0\x80"), 2u);
  EXPECT_EQ(first_invalid_utf8("ab\xe6\x9d"), 2u);
  EXPECT_EQ(first_invalid_utf8("\xf5\x80\x80\x80"), 0u);
}

} // namespace
