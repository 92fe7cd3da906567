// Control characters from files and arguments never reach a terminal raw:
// file names, tensor names and metadata keys are escaped in
// tables, errors, warnings (the tool's and the library's), and exact in
// --json.
#include "cli_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;

// Bytes that act on a terminal: ESC, CSI as a C1 control (U+009B), and the
// bidirectional override U+202E, which reverses what follows it.
const std::string kEsc = "\x1b";
const std::string kCsi = "\xc2\x9b";
const std::string kRlo = "\xe2\x80\xae";

// No raw ESC, C1 CSI, RLO or DEL anywhere in `text`, and no line but the
// ones the tool meant.
::testing::AssertionResult nothing_raw(const std::string &text) {
  for (const std::string &bad : {kEsc, kCsi, kRlo, std::string("\x7f")})
    if (text.find(bad) != std::string::npos)
      return ::testing::AssertionFailure() << "raw control in: " << text;
  return ::testing::AssertionSuccess();
}

class CliEscaping : public ::testing::Test {
protected:
  void SetUp() override {
    wcli_test::Model m;
    m.add(tensor, weightio::DType::F32, {2, 3}, 1);
    wcli_test::save(file, m, {{key, "v" + kCsi + "alue"}});
  }
  wtest::TempDir dir;
  // A name that would clear the screen and forge a line of output.
  std::string name = "m" + kEsc + "[2J\nok: forged.safetensors";
  fs::path file = dir / name;
  std::string tensor = "w" + kEsc + "[31mred" + kRlo + "gnp.exe\x7f";
  std::string key = "k" + kEsc + "]0;title\x07" + "\n";
  // How each looks once escaped.
  std::string name_shown = "m\\x1b[2J\\nok: forged.safetensors";
  std::string tensor_shown = "w\\x1b[31mred\\u202egnp.exe\\x7f";
  std::string key_shown = "k\\x1b]0;title\\x07\\n";
};

TEST_F(CliEscaping, TablesShowNamesAndKeysEscaped) {
  const auto r = run_cli({"inspect", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nothing_raw(r.out));
  EXPECT_NE(r.out.find(name_shown), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(tensor_shown), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(key_shown + " = v\\u009balue"), std::string::npos) << r.out;
  // The forged line is not a line of its own.
  EXPECT_EQ(r.out.find("\nok: forged"), std::string::npos) << r.out;
}

TEST_F(CliEscaping, JsonStaysExact) {
  const auto r = run_cli({"inspect", file.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // JSON escapes C0 controls itself (\u001b); the rest stays as it is.
  EXPECT_EQ(r.out.find(kEsc), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("file"), file.string());
  EXPECT_EQ(j.at("tensors").at(0).at("name"), tensor);
  ASSERT_EQ(j.at("metadata").size(), 1u);
  EXPECT_EQ(j.at("metadata").at(0).at("key"), key);
  EXPECT_EQ(j.at("metadata").at(0).at("value"), "v" + kCsi + "alue");
}

TEST_F(CliEscaping, ErrorsShowFileNamesEscaped) {
  // Not a weights file: the reader's error names the file.
  wtest::write_bytes(file, {'n', 'o', 'p', 'e', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  auto r = run_cli({"verify", file.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(nothing_raw(r.err));
  EXPECT_NE(r.err.find(name_shown), std::string::npos) << r.err;
  // One line: the newline in the name did not start another.
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;

  // Bytes that are not UTF-8, in a missing file's name.
  r = run_cli({"inspect", (dir / "x\xff\xfe.npz").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("x\\xff\\xfe.npz"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\xff"), std::string::npos) << r.err;
}

// convert's own warning (metadata .npz cannot hold) and the library's (a
// FIFO planted under the output's stale-temporary name) name keys and files
// escaped.
TEST_F(CliEscaping, WarningsShowKeysAndFileNamesEscaped) {
  const std::string out_name = "o" + kEsc + "[1m.npz";
  const fs::path out = dir / out_name;
  ASSERT_EQ(::mkfifo((dir / ("." + out_name + ".weightio-tmp-1-x")).c_str(), 0600), 0);
  const auto r = run_cli({"convert", file.string(), out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nothing_raw(r.err));
  EXPECT_NE(r.err.find("not kept: '" + key_shown + "'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("left '" + (dir / ".o\\x1b[1m.npz.weightio-tmp-1-x").string()),
            std::string::npos)
      << r.err;
}

// Counts agree in number.
TEST_F(CliEscaping, OneTensorIsSingular) {
  auto r = run_cli({"verify", file.string()});
  EXPECT_EQ(r.out, "ok: 1 tensor\n");
  r = run_cli({"diff", file.string(), file.string()});
  EXPECT_EQ(r.out, "no differences: 1 tensor equal\n");
  r = run_cli({"inspect", file.string()});
  EXPECT_NE(r.out.find("\n1 tensor, 6 elements"), std::string::npos) << r.out;
}

} // namespace
