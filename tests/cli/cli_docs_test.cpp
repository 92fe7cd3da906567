// Every example command in docs/CLI.md and README.md runs, with the exit
// status and the output shape the text around it promises. An example is a
// line in a ```sh block that starts with "weightio "; one meant to fail ends
// with a comment "# exit N". They run in order, in one folder holding the
// files write_example_files() makes, through /bin/sh with the built tool
// first on PATH, as a reader would type them.
//
// WEIGHTIO_EXAMPLES_DIR=<folder> keeps that folder (created if needed), so the
// outputs shown in docs/CLI.md can be made again from the same files.
#include "cli_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>
#include <set>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Example {
  std::string doc;
  int line = 0;
  std::string command;           // as written (comments included: sh drops them)
  std::vector<std::string> args; // the words after "weightio", quotes removed
  std::optional<int> exit_code;  // from "# exit N"
};

// Splits like sh for the simple quoting docs use; stops at a comment.
std::vector<std::string> words(const std::string &s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (char c : s) {
    if (quote) {
      if (c == quote)
        quote = 0;
      else
        cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word)
        out.push_back(cur);
      cur.clear();
      in_word = false;
    } else if (c == '#' && !in_word) {
      break;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word)
    out.push_back(cur);
  return out;
}

std::vector<Example> examples_in(const fs::path &doc) {
  std::ifstream in(doc);
  std::vector<Example> out;
  bool in_sh = false;
  std::string line, pending;
  int number = 0, start = 0;
  const std::regex exit_re("#\\s*exit\\s+([0-9]+)");
  while (std::getline(in, line)) {
    ++number;
    const auto first = line.find_first_not_of(" \t");
    const std::string text = first == std::string::npos ? "" : line.substr(first);
    if (text.rfind("```", 0) == 0) {
      const std::string lang = text.substr(3);
      in_sh = !in_sh && (lang == "sh" || lang == "bash" || lang == "shell");
      continue;
    }
    if (!in_sh)
      continue;
    if (pending.empty())
      start = number;
    // A trailing backslash continues the command on the next line.
    if (!text.empty() && text.back() == '\\') {
      pending += text.substr(0, text.size() - 1) + " ";
      continue;
    }
    const std::string command = pending + text;
    pending.clear();
    if (command.rfind("weightio ", 0) != 0 && command != "weightio")
      continue;
    Example e{doc.filename().string(), start, command, words(command), std::nullopt};
    e.args.erase(e.args.begin());
    std::smatch m;
    if (std::regex_search(command, m, exit_re))
      e.exit_code = std::stoi(m[1]);
    out.push_back(std::move(e));
  }
  return out;
}

// The subcommand and its positional arguments, skipping options and the
// values of options that take one.
struct Parsed {
  std::string command;
  std::vector<std::string> positional;
  std::set<std::string> flags;
  std::vector<std::string> metadata;
  bool tolerance = false;
};

Parsed parse(const std::vector<std::string> &args) {
  static const std::set<std::string> with_value = {"--metadata", "--format",        "--atol",
                                                   "--rtol",     "--log-level",     "--size",
                                                   "--seed",     "--max-shard-size"};
  Parsed p;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a.rfind("-", 0) == 0) {
      const std::string name = a.substr(0, a.find('='));
      p.flags.insert(name);
      std::string value;
      if (a.find('=') != std::string::npos)
        value = a.substr(a.find('=') + 1);
      else if (with_value.count(name) && i + 1 < args.size())
        value = args[++i];
      if (name == "--metadata")
        p.metadata.push_back(value);
      if (name == "--atol" || name == "--rtol")
        p.tolerance = true;
    } else if (p.command.empty()) {
      p.command = a;
    } else {
      p.positional.push_back(a);
    }
  }
  return p;
}

bool identical(const weightio::Weights &a, const weightio::Weights &b) {
  return bool(wcli_test::same_tensors(a, b));
}

class DocExamples : public ::testing::Test {
protected:
  void SetUp() override {
    if (const char *keep = std::getenv("WEIGHTIO_EXAMPLES_DIR"); keep && *keep) {
      dir_ = keep;
      fs::create_directories(dir_);
      for (const char *f : {"model-copy.npz", "model-z.npz", "model-tagged.safetensors",
                            "model-tagged.npz", "demo"})
        fs::remove_all(dir_ / f);
      for (const auto &e : fs::directory_iterator(dir_)) // the sharded example's output
        if (e.path().filename().string().rfind("big", 0) == 0)
          fs::remove(e.path());
    } else {
      temp_.emplace();
      dir_ = temp_->path();
    }
    wcli_test::write_example_files(dir_);
  }

  wtest::CommandResult run(const Example &e) {
    const std::string bin = fs::path(WEIGHTIO_CLI).parent_path().string();
    const char *path = std::getenv("PATH");
    return wtest::run_command({"/bin/sh", "-c", "cd '" + dir_.string() + "' && " + e.command},
                              {"PATH=" + bin + ":" + (path ? path : "/usr/bin:/bin")});
  }

  // Runs every example in `doc` and checks each one's status and shape.
  void check_doc(const fs::path &doc) {
    const auto examples = examples_in(doc);
    ASSERT_FALSE(examples.empty()) << doc << " has no ```sh line starting with 'weightio '";
    for (const auto &e : examples)
      check(e);
  }

  void check(const Example &e) {
    SCOPED_TRACE(e.doc + ":" + std::to_string(e.line) + ": " + e.command);
    const Parsed p = parse(e.args);
    const auto file = [&](size_t i) { return dir_ / p.positional.at(i); };

    // What must hold before the run decides some checks after it.
    std::optional<bool> out_existed;
    if (p.command == "convert" && p.positional.size() == 2)
      out_existed = fs::exists(file(1));
    int expected = e.exit_code.value_or(0);
    if (!e.exit_code && p.command == "diff" && !p.tolerance && p.positional.size() == 2)
      expected =
          identical(weightio::load_weights(file(0)), weightio::load_weights(file(1))) ? 0 : 1;

    const auto r = run(e);
    ASSERT_EQ(r.exit_code, expected) << "stdout:\n" << r.out << "stderr:\n" << r.err;
    if (r.exit_code != 0) {
      // Every failure explains itself on stderr, naming the file concerned.
      EXPECT_FALSE(r.err.empty());
      if (!p.positional.empty()) {
        bool named = false;
        for (const auto &f : p.positional)
          named = named || r.err.find(f) != std::string::npos;
        EXPECT_TRUE(named) << r.err;
      }
      if (out_existed && !*out_existed) {
        EXPECT_FALSE(fs::exists(file(1))) << "a failed convert left its output behind";
      }
      return;
    }
    if (p.flags.count("--help") || p.flags.count("-h")) {
      EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
      return;
    }
    if (p.command.empty() && p.flags.count("--version")) {
      EXPECT_EQ(r.out, std::string("weightio ") + weightio::version() + "\n");
      return;
    }
    if (p.command == "inspect")
      check_inspect(p, r);
    else if (p.command == "convert")
      check_convert(p, r);
    else if (p.command == "verify")
      check_verify(p, r);
    else if (p.command == "diff")
      EXPECT_NE(r.out.find("no differences"), std::string::npos) << r.out;
    else if (p.command == "plugins")
      check_plugins(p, r);
    else if (p.command == "demo")
      check_demo(p, r);
    else if (p.command == "conformance")
      EXPECT_NE(r.out.find("\npassed (replay with --seed"), std::string::npos) << r.out;
    else
      ADD_FAILURE() << "no check for the command '" << p.command << "'";
  }

  void check_inspect(const Parsed &p, const wtest::CommandResult &r) {
    const auto w = weightio::load_weights(dir_ / p.positional.at(0));
    if (!p.flags.count("--json")) {
      EXPECT_NE(r.out.find(w.format), std::string::npos);
      for (const auto &[name, t] : w)
        EXPECT_NE(r.out.find(name), std::string::npos) << name;
      return;
    }
    const json j = json::parse(r.out);
    EXPECT_EQ(j.at("format"), w.format);
    ASSERT_EQ(j.at("tensors").size(), w.size());
    size_t i = 0;
    for (const auto &[name, t] : w) {
      const auto &e = j.at("tensors").at(i++);
      EXPECT_EQ(e.at("name"), name);
      EXPECT_EQ(e.at("dtype"), std::string(weightio::dtype_name(t.dtype())));
      EXPECT_EQ(e.at("shape").get<weightio::Shape>(), t.shape());
      EXPECT_EQ(e.at("nbytes").get<uint64_t>(), t.nbytes());
      EXPECT_EQ(e.contains("sha256"), p.flags.count("--hash") == 1);
    }
  }

  void check_verify(const Parsed &p, const wtest::CommandResult &r) {
    const auto w = weightio::load_weights(dir_ / p.positional.at(0));
    if (!p.flags.count("--json")) {
      EXPECT_EQ(r.out, "ok: " + std::to_string(w.size()) + " tensors\n");
      return;
    }
    const json j = json::parse(r.out);
    EXPECT_EQ(j.at("schema"), "weightio.verify/1");
    ASSERT_EQ(j.at("tensors").size(), w.size());
    size_t i = 0;
    for (const auto &[name, t] : w) {
      const auto &e = j.at("tensors").at(i++);
      EXPECT_EQ(e.at("name"), name);
      EXPECT_EQ(e.at("placement"), std::string(weightio::placement_name(t.placement()))) << name;
    }
  }

  void check_convert(const Parsed &p, const wtest::CommandResult &r) {
    EXPECT_EQ(r.out, "");
    const auto in = weightio::load_weights(dir_ / p.positional.at(0));
    // With --format the extension may say nothing; the reader probes the bytes.
    // A sharded output is its index.
    fs::path out_path = dir_ / p.positional.at(1);
    if (p.flags.count("--max-shard-size") && !fs::exists(out_path))
      out_path += ".index.json";
    const auto out = weightio::load_weights(out_path);
    EXPECT_TRUE(wcli_test::same_tensors(in, out));
    for (const auto &kv : p.metadata) {
      const auto eq = kv.find('=');
      EXPECT_EQ(out.metadata.at(kv.substr(0, eq)), kv.substr(eq + 1));
    }
  }

  void check_plugins(const Parsed &p, const wtest::CommandResult &r) {
    if (!p.flags.count("--json")) {
      for (const char *name : {"npz", "safetensors", "gguf"})
        EXPECT_NE(r.out.find(name), std::string::npos) << name;
      return;
    }
    const json j = json::parse(r.out);
    std::set<std::string> names;
    for (const auto &pl : j.at("plugins"))
      names.insert(pl.at("name").get<std::string>());
    EXPECT_TRUE(names.count("npz") && names.count("safetensors") && names.count("gguf")) << r.out;
    EXPECT_TRUE(j.at("failed").is_array());
  }

  void check_demo(const Parsed &p, const wtest::CommandResult &r) {
    for (const char *word : {"model.npz", "model.safetensors", "model.gguf", "MB/s", "ok:"})
      EXPECT_NE(r.out.find(word), std::string::npos) << word << " missing:\n" << r.out;
    if (!p.positional.empty()) {
      const fs::path out = dir_ / p.positional.at(0);
      EXPECT_TRUE(identical(weightio::load_weights(out / "model.npz"),
                            weightio::load_weights(out / "model.safetensors")));
      EXPECT_TRUE(identical(weightio::load_weights(out / "model.npz"),
                            weightio::load_weights(out / "model.gguf")));
    }
  }

  std::optional<wtest::TempDir> temp_;
  fs::path dir_;
};

const fs::path kSource = WEIGHTIO_SOURCE_DIR;

TEST_F(DocExamples, CliDocExamplesRun) {
  check_doc(kSource / "docs" / "CLI.md");
}

TEST_F(DocExamples, ReadmeExamplesRun) {
  // The README may show its CLI examples itself or link to docs/CLI.md
  // (checked above); whatever it shows is run.
  if (!fs::exists(kSource / "README.md") || examples_in(kSource / "README.md").empty())
    GTEST_SKIP() << "README.md shows no ```sh line starting with 'weightio '";
  check_doc(kSource / "README.md");
}

TEST(DocExamplesCoverage, CliDocShowsEveryCommand) {
  std::set<std::string> shown;
  for (const auto &e : examples_in(kSource / "docs" / "CLI.md"))
    shown.insert(parse(e.args).command);
  for (const char *c : {"inspect", "convert", "verify", "diff", "plugins", "demo", "conformance"})
    EXPECT_TRUE(shown.count(c)) << "docs/CLI.md has no example of '" << c << "'";
}

TEST(DocExamplesParsing, FindsCommandsContinuationsAndExitComments) {
  wtest::TempDir dir;
  const fs::path md = dir / "x.md";
  std::ofstream(md) << "text\n```sh\nweightio verify a.npz\n# a comment\n  weightio diff a.npz \\\n"
                       "    'b c.npz'   # exit 1\nls\n```\n```\nweightio not-sh\n```\n"
                       "```sh\nweightio --version\n```\n";
  const auto ex = examples_in(md);
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].line, 3);
  EXPECT_EQ(ex[0].args, (std::vector<std::string>{"verify", "a.npz"}));
  EXPECT_FALSE(ex[0].exit_code);
  EXPECT_EQ(ex[1].line, 5);
  EXPECT_EQ(ex[1].args, (std::vector<std::string>{"diff", "a.npz", "b c.npz"}));
  EXPECT_EQ(ex[1].exit_code, 1);
  EXPECT_EQ(ex[2].args, (std::vector<std::string>{"--version"}));
  const Parsed p = parse({"convert", "a", "b", "--metadata", "k=v", "--compress=3", "-f"});
  EXPECT_EQ(p.command, "convert");
  EXPECT_EQ(p.positional, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.metadata, (std::vector<std::string>{"k=v"}));
  EXPECT_TRUE(p.flags.count("--compress") && p.flags.count("-f"));
}

} // namespace
