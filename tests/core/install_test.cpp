// The package as a user gets it: install to a prefix, build a host program
// and third-party plugins (the plain-C and the C++ examples) out of tree
// with find_package(weightio), run them, then move the prefix and run again
// (relocatable).
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

namespace fs = std::filesystem;

namespace {

void run_ok(const std::vector<std::string> &argv, const fs::path &cwd = {},
            const std::vector<std::string> &env = {}) {
  auto r = wtest::run_command(argv, env, {}, cwd);
  ASSERT_EQ(r.exit_code, 0) << argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << "\n"
                            << r.out << r.err;
}

bool installed_plugin(const fs::path &prefix, const std::string &name) {
  return fs::exists(prefix / "lib" / "weightio" / "plugins" / ("weightio_" + name + ".so"));
}

} // namespace

TEST(Install, OutOfTreeConsumerAndCPluginWorkAndThePrefixIsRelocatable) {
  wtest::TempDir tmp;
  const fs::path prefix = tmp / "prefix";
  run_ok({"cmake", "--install", WEIGHTIO_BINARY_DIR, "--prefix", prefix.string()});
  ASSERT_TRUE(fs::exists(prefix / "lib" / "cmake" / "weightio" / "weightioConfig.cmake"));
  ASSERT_TRUE(fs::exists(prefix / "include" / "weightio" / "weightio.hpp"));
  ASSERT_TRUE(fs::exists(prefix / "include" / "weightio" / "plugin_abi.h"));

  const fs::path src = WEIGHTIO_SOURCE_DIR;
  const std::string cmake_prefix = "-DCMAKE_PREFIX_PATH=" + prefix.string();
  run_ok({"cmake", "-S", (src / "examples" / "c_plugin").string(), "-B",
          (tmp / "b-plugin").string(), cmake_prefix});
  run_ok({"cmake", "--build", (tmp / "b-plugin").string()});
  const fs::path plugin = tmp / "b-plugin" / "weightio_rawt.so";
  ASSERT_TRUE(fs::exists(plugin));

  // The plugin exports its entry and nothing else.
  auto syms = wtest::run_command({"nm", "-D", "--defined-only", plugin.string()});
  ASSERT_EQ(syms.exit_code, 0) << syms.err;
  EXPECT_NE(syms.out.find("weightio_plugin_entry"), std::string::npos);
  size_t lines = 0;
  for (char c : syms.out)
    lines += c == '\n';
  EXPECT_EQ(lines, 1u) << syms.out;

  run_ok({"cmake", "-S", (src / "examples" / "consumer").string(), "-B", (tmp / "b-app").string(),
          cmake_prefix});
  run_ok({"cmake", "--build", (tmp / "b-app").string()});
  const std::string app = (tmp / "b-app" / "app").string();
  fs::create_directory(tmp / "work");

  std::vector<std::string> formats{app, "rawt"};
  for (auto f : {"npz", "safetensors", "gguf"})
    if (installed_plugin(prefix, f))
      formats.push_back(f);
  // The third-party plugin comes from WEIGHTIO_PLUGIN_PATH; the bundled ones
  // need no environment at all.
  run_ok(formats, tmp / "work", {"WEIGHTIO_PLUGIN_PATH=" + (tmp / "b-plugin").string()});
  EXPECT_TRUE(fs::exists(tmp / "work" / "model.rawt"));
  if (formats.size() > 2) {
    std::vector<std::string> bundled(formats.begin() + 2, formats.end());
    bundled.insert(bundled.begin(), app);
    run_ok(bundled, tmp / "work", {"WEIGHTIO_PLUGIN_PATH="});
  }

  // The README's embedding snippet, verbatim, on the compiler's default C++
  // standard (g++ 12: C++17): weightio::weightio carries the C++20 its
  // headers need.
  {
    const std::string readme = wtest::read_text(src / "README.md");
    const auto section = readme.find("## Embedding weightio in a C++ program");
    ASSERT_NE(section, std::string::npos);
    auto block = [&](const std::string &lang) {
      const auto open = readme.find("```" + lang + "\n", section);
      const auto start = open + lang.size() + 4;
      return readme.substr(start, readme.find("```", start) - start);
    };
    std::string cmake = block("cmake");
    ASSERT_EQ(cmake.find("CMAKE_CXX_STANDARD"), std::string::npos);
    // The snippet links a target named app; the project around it makes one.
    cmake.insert(cmake.find("target_link_libraries"), "add_executable(app main.cpp)\n");
    const fs::path proj = tmp / "readme";
    fs::create_directories(proj);
    wtest::write_bytes(proj / "CMakeLists.txt", [&] {
      const std::string text =
          "cmake_minimum_required(VERSION 3.20)\nproject(readme LANGUAGES CXX)\n" + cmake;
      return std::vector<uint8_t>(text.begin(), text.end());
    }());
    const std::string cpp = block("cpp");
    wtest::write_bytes(proj / "main.cpp", std::vector<uint8_t>(cpp.begin(), cpp.end()));
    run_ok({"cmake", "-S", proj.string(), "-B", (tmp / "b-readme").string(), cmake_prefix});
    run_ok({"cmake", "--build", (tmp / "b-readme").string()});
    fs::create_directory(tmp / "readme-run");
    run_ok({(tmp / "b-readme" / "app").string()}, tmp / "readme-run");
    EXPECT_TRUE(fs::exists(tmp / "readme-run" / "model.npz"));
  }

  // Move the prefix: the library still finds its plugins beside itself.
  const fs::path moved = tmp / "elsewhere";
  fs::rename(prefix, moved);
  formats[0] = app;
  run_ok(formats, tmp / "work",
         {"LD_LIBRARY_PATH=" + (moved / "lib").string(),
          "WEIGHTIO_PLUGIN_PATH=" + (tmp / "b-plugin").string()});
  if (fs::exists(moved / "bin" / "weightio")) {
    auto r = wtest::run_command({(moved / "bin" / "weightio").string(), "plugins"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(moved.string()), std::string::npos) << r.out;
  }
}

// The C++ example, built as a plugin author builds it (from the copy
// installed with the docs, against the installed SDK, on the C++17 it
// promises), passes every check of the
// installed CLI's conformance kit, the reference vectors included.
TEST(Install, CppPluginExampleBuildsOutOfTreeAndPassesTheConformanceKit) {
  wtest::TempDir tmp;
  const fs::path prefix = tmp / "prefix";
  run_ok({"cmake", "--install", WEIGHTIO_BINARY_DIR, "--prefix", prefix.string()});
  const fs::path cli = prefix / "bin" / "weightio";
  if (!fs::exists(cli))
    GTEST_SKIP() << "built without the command-line tool";
  // The copy installed with the docs, which is what a package user has.
  const fs::path docs = prefix / "share" / "doc" / "weightio";
  for (const char *doc : {"PLUGINS.md", "PLUGINS-ADVANCED.md", "CONFORMANCE.md", "ERRORS.md"})
    EXPECT_TRUE(fs::is_regular_file(docs / doc)) << doc << " is not installed";
  run_ok({"cmake", "-S", (docs / "examples" / "cpp_plugin").string(), "-B",
          (tmp / "b-plugin").string(), "-DCMAKE_PREFIX_PATH=" + prefix.string()});
  run_ok({"cmake", "--build", (tmp / "b-plugin").string()});
  const fs::path plugin = tmp / "b-plugin" / "weightio_tinyw.so";
  ASSERT_TRUE(fs::exists(plugin));

  // Its reference files were written by make_vectors.py from the layout, not
  // by the plugin.
  const fs::path vectors = docs / "examples" / "cpp_plugin" / "vectors";
  const auto r = wtest::run_command({cli.string(), "conformance", "--json", "--seed", "1",
                                     "--vectors", vectors.string(), plugin.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report.at("passed"), true);
  EXPECT_EQ(report.at("plugin").at("name"), "tinyw");
  std::set<std::string> passed;
  for (const auto &c : report.at("checks")) {
    const std::string id = c.at("id");
    if (c.at("result") == "pass")
      passed.insert(id);
    else
      ADD_FAILURE() << id << ": " << c.at("result") << ": " << c.at("detail");
  }
  for (const char *id :
       {"contract.load", "contract.symbols", "contract.descriptor", "contract.coexist", "roundtrip",
        "determinism", "refusals.dtype", "refusals.limits", "refusals.option", "refusals.cancel",
        "probe", "robustness.truncation", "robustness.mutation", "concurrency", "vectors"})
    EXPECT_TRUE(passed.count(id)) << id << " did not run";
}
