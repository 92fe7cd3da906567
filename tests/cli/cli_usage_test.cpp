// The tool's command line itself: --version, --help everywhere, usage errors
// (exit 2 with a message), --log-level.
#include "cli_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using wcli_test::run_cli;

namespace {

const std::vector<std::string> kCommands = {"inspect", "convert", "verify",     "diff",
                                            "plugins", "demo",    "conformance"};

TEST(CliUsage, VersionIsTheLoadedLibrarysVersion) {
  auto r = run_cli({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("weightio ") + weightio::version() + "\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliUsage, TopLevelHelpListsEveryCommand) {
  auto r = run_cli({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const auto &c : kCommands)
    EXPECT_NE(r.out.find(c), std::string::npos) << c << " missing from:\n" << r.out;
  EXPECT_NE(r.out.find("--log-level"), std::string::npos);
  EXPECT_EQ(r.err, "");
}

TEST(CliUsage, EveryCommandHasHelp) {
  for (const auto &c : kCommands) {
    for (const char *flag : {"--help", "-h"}) {
      auto r = run_cli({c, flag});
      EXPECT_EQ(r.exit_code, 0) << c << ' ' << flag << ": " << r.err;
      // The subcommand's own help (its usage line), not the top level's.
      EXPECT_NE(r.out.find(c), std::string::npos) << c << ":\n" << r.out;
      EXPECT_NE(r.out.find("Usage"), std::string::npos) << c << ":\n" << r.out;
      EXPECT_EQ(r.err, "") << c;
    }
  }
}

TEST(CliUsage, ConvertHelpNamesItsOptions) {
  auto r = run_cli({"convert", "--help"});
  for (const char *opt : {"--compress", "--metadata", "--format", "--force"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
}

// Each of these is a usage error: exit 2 (never CLI11's own 105, 106, 109...)
// and a message on stderr, nothing on stdout.
TEST(CliUsage, UsageErrorsExitTwoWithAMessage) {
  const std::vector<std::vector<std::string>> cases = {
      {},                                            // no command
      {"frobnicate"},                                // unknown command
      {"--no-such-option"},                          // unknown option
      {"inspect"},                                   // missing FILE
      {"inspect", "a.npz", "b.npz"},                 // extra argument
      {"inspect", "a.npz", "--bogus"},               // unknown option of a command
      {"convert", "a.npz"},                          // missing OUT
      {"convert", "a.npz", "b.npz", "--compress=x"}, // not a level
      {"convert", "a.npz", "b.npz", "--compress=10"},
      {"convert", "a.npz", "b.npz", "--metadata"}, // option without its value
      {"diff", "a.npz"},
      {"diff", "a.npz", "b.npz", "--atol", "-1"},
      {"diff", "a.npz", "b.npz", "--rtol", "abc"},
      {"verify"},
      {"plugins", "extra"},
      {"demo", "--size", "huge"},
      {"--log-level", "loud", "plugins"},
  };
  for (const auto &args : cases) {
    auto r = run_cli(args);
    std::string line;
    for (const auto &a : args)
      line += a + ' ';
    EXPECT_EQ(r.exit_code, 2) << "weightio " << line << "\n" << r.out << r.err;
    EXPECT_FALSE(r.err.empty()) << "weightio " << line;
    EXPECT_EQ(r.out, "") << "weightio " << line;
  }
}

TEST(CliUsage, MetadataWithoutEqualsSignIsAUsageError) {
  wtest::TempDir dir;
  wcli_test::save(dir / "m.safetensors", wcli_test::mixed_model());
  auto r = run_cli({"convert", (dir / "m.safetensors").string(), (dir / "o.safetensors").string(),
                    "--metadata", "novalue"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("novalue"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "o.safetensors"));
}

TEST(CliUsage, LogLevelIsAcceptedBeforeAndAfterTheCommand) {
  auto before = run_cli({"--log-level", "error", "plugins", "--json"});
  EXPECT_EQ(before.exit_code, 0) << before.err;
  auto after = run_cli({"plugins", "--json", "--log-level", "off"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(before.out, after.out);
}

TEST(CliUsage, DebugLogLevelMakesTheLibraryTalk) {
  wtest::TempDir dir;
  wcli_test::save(dir / "m.npz", wcli_test::mixed_model());
  const std::string out = (dir / "o.safetensors").string();
  auto quiet = run_cli({"convert", (dir / "m.npz").string(), out});
  ASSERT_EQ(quiet.exit_code, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
  auto loud = run_cli({"--log-level", "debug", "convert", (dir / "m.npz").string(), out, "-f"},
                      {"WEIGHTIO_LOG_LEVEL="});
  ASSERT_EQ(loud.exit_code, 0) << loud.err;
  // The library logs its saves at debug level; the exact words are its own.
  EXPECT_NE(loud.err.find(out), std::string::npos) << loud.err;
}

} // namespace

// Slips in the arguments are told in the tool's voice, one line naming the
// command and where its help is, not in the parser library's words.
TEST(CliUsage, ArgumentSlipsAreOneLineInTheToolsWords) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"inspect"}, "weightio inspect: missing FILE; see 'weightio inspect --help'\n"},
      {{"inspect", "a.npz", "b.npz"},
       "weightio inspect: unexpected argument b.npz; see 'weightio inspect --help'\n"},
      {{"convert", "a.npz"}, "weightio convert: missing OUT; see 'weightio convert --help'\n"},
      {{"convert", "a.npz", "b.npz", "--metadata"},
       "weightio convert: --metadata needs a value; see 'weightio convert --help'\n"},
  };
  for (const auto &c : cases) {
    auto r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err, c.err);
  }
  auto none = run_cli({});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err.rfind("weightio: no command given: name one of inspect, convert", 0), 0u)
      << none.err;
}

TEST(CliUsage, AFileNamedDashIsRefusedAsStandardInput) {
  for (const auto &args : std::vector<std::vector<std::string>>{{"inspect", "-"},
                                                                {"verify", "-"},
                                                                {"convert", "-", "b.npz"},
                                                                {"convert", "a.npz", "-"},
                                                                {"diff", "a.npz", "-"}}) {
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("standard input or output"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("./-"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}
