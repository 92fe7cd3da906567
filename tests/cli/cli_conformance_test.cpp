// weightio conformance: the bundled plugins and the plain-C example pass
// every check (their reference files included); each defective plugin fails
// the check that matches its defect, with a detail naming the fault; an
// altered reference expectation fails naming the file and the field.
#include "cli_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <functional>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kPlugins = WEIGHTIO_TEST_PLUGIN_DIR;

// Runs the kit with a fixed seed (a failure then replays exactly) and the
// JSON report.
json run_kit(const std::vector<std::string> &args, int expected_exit) {
  std::vector<std::string> argv = {"conformance", "--json", "--seed", "1"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run_cli(argv);
  EXPECT_EQ(r.exit_code, expected_exit) << r.out << r.err;
  try {
    return json::parse(r.out);
  } catch (const std::exception &e) {
    ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.out << r.err;
    return json::object();
  }
}

const json *check(const json &report, const std::string &id) {
  if (!report.contains("checks"))
    return nullptr;
  for (const auto &c : report.at("checks"))
    if (c.at("id") == id)
      return &c;
  return nullptr;
}

std::string failures(const json &report) {
  std::string out;
  for (const auto &c : report.value("checks", json::array()))
    if (c.at("result") == "fail")
      out += c.at("id").get<std::string>() + ": " + c.at("detail").get<std::string>() + "\n";
  return out;
}

void expect_all_pass(const json &report) {
  EXPECT_EQ(report.value("passed", false), true) << failures(report);
  EXPECT_EQ(failures(report), "");
  for (const char *id :
       {"contract.load", "contract.symbols", "contract.descriptor", "contract.coexist", "roundtrip",
        "determinism", "refusals.dtype", "refusals.option", "refusals.cancel", "probe",
        "robustness.truncation", "robustness.mutation", "concurrency"}) {
    const json *c = check(report, id);
    ASSERT_NE(c, nullptr) << id;
    EXPECT_EQ(c->at("result"), "pass") << id << ": " << c->at("detail");
  }
}

TEST(CliConformance, BundledNpzPassesEveryCheckAndItsReferenceFiles) {
  const json r = run_kit({"npz", "--vectors", wtest::data_path("vectors/npz").string()}, 0);
  expect_all_pass(r);
  const json *v = check(r, "vectors");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->at("result"), "pass") << v->at("detail");
}

TEST(CliConformance, BundledSafetensorsPassesEveryCheckAndItsReferenceFiles) {
  const json r =
      run_kit({"safetensors", "--vectors", wtest::data_path("vectors/safetensors").string()}, 0);
  expect_all_pass(r);
  const json *v = check(r, "vectors");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->at("result"), "pass") << v->at("detail");
}

TEST(CliConformance, BundledGgufPassesEveryCheckAndItsReferenceFiles) {
  const json r = run_kit({"gguf", "--vectors", wtest::data_path("vectors/gguf").string()}, 0);
  expect_all_pass(r);
  const json *v = check(r, "vectors");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->at("result"), "pass") << v->at("detail");
}

// The reference files are torch 1.13's own (tests/data/pytorch, made by
// tests/python/make_pytorch_reference.py) and two built by hand as newer
// torch writes them (a big-endian archive, _rebuild_tensor_v3).
TEST(CliConformance, BundledPytorchPassesEveryCheckAndItsReferenceFiles) {
  const json r = run_kit({"pytorch", "--vectors", wtest::data_path("vectors/pytorch").string()}, 0);
  expect_all_pass(r);
  const json *v = check(r, "vectors");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->at("result"), "pass") << v->at("detail");
}

TEST(CliConformance, PlainCExamplePassesEveryCheck) {
  expect_all_pass(run_kit({(kPlugins / "weightio_rawt.so").string()}, 0));
}

TEST(CliConformance, DefectFreeTestPluginPassesEveryCheck) {
  // The defective plugins below are this one plus one defect each.
  expect_all_pass(run_kit({(kPlugins / "weightio_fault_none.so").string()}, 0));
}

struct Defect {
  const char *plugin;
  const char *check;
  const char *detail; // what the detail must name
};

class CliConformanceDefect : public ::testing::TestWithParam<Defect> {};

TEST_P(CliConformanceDefect, FailsTheMatchingCheckNamingTheFault) {
  const Defect d = GetParam();
  const json r = run_kit({(kPlugins / d.plugin).string(), "--time-limit", "3"}, 1);
  const json *c = check(r, d.check);
  ASSERT_NE(c, nullptr) << r.dump(1);
  EXPECT_EQ(c->at("result"), "fail") << c->at("detail");
  EXPECT_NE(c->at("detail").get<std::string>().find(d.detail), std::string::npos)
      << c->at("detail");
  EXPECT_EQ(r.value("passed", true), false);
}

INSTANTIATE_TEST_SUITE_P(
    Plugins, CliConformanceDefect,
    ::testing::Values(
        Defect{"weightio_fault_timestamp.so", "determinism",
               "written twice gives different bytes (first difference at byte offset 8"},
        Defect{"weightio_fault_crash.so", "robustness.truncation", "the reader crashed"},
        Defect{"weightio_fault_hang.so", "robustness.truncation", "truncated to 24 of"},
        Defect{"weightio_fault_balloon.so", "robustness.mutation", "memory"},
        Defect{"weightio_fault_probe_yes.so", "probe", "answers YES on a file of format"},
        Defect{"weightio_fault_exports.so", "contract.symbols", "wfault_extra_helper"},
        Defect{"weightio_fault_outside.so", "robustness.truncation", "pointing outside the file"}),
    [](const auto &info) {
      std::string n = info.param.plugin;
      n = n.substr(std::string("weightio_").size());
      return n.substr(0, n.find('.'));
    });

// A copy of a vector set with absolute file paths and one expectation
// changed by `alter`.
fs::path altered_vectors(const std::string &format, const fs::path &dir,
                         const std::function<void(json &)> &alter) {
  const fs::path src = wtest::data_path("vectors/" + format);
  std::ifstream in(src / "vectors.json");
  json set = json::parse(in);
  for (auto &v : set.at("vectors"))
    v["file"] = fs::weakly_canonical(src / v.at("file").get<std::string>()).string();
  alter(set);
  fs::create_directories(dir);
  std::ofstream(dir / "vectors.json") << set.dump(1);
  return dir;
}

TEST(CliConformance, VectorsNameTheFileAndFieldOfAnAlteredExpectation) {
  const wtest::TempDir tmp;
  const fs::path sha = altered_vectors("npz", tmp.path() / "sha", [](json &set) {
    for (auto &v : set.at("vectors"))
      if (v.at("file").get<std::string>().ends_with("n03_nested_names.npz"))
        v.at("tensors").at(1).at("sha256") = std::string(64, '0');
  });
  json r = run_kit({"npz", "--only", "vectors", "--vectors", sha.string()}, 1);
  const json *c = check(r, "vectors");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->at("result"), "fail");
  EXPECT_NE(c->at("detail").get<std::string>().find(
                "n03_nested_names.npz tensor 'layers.0.bias' sha256: expected 000"),
            std::string::npos)
      << c->at("detail");

  const fs::path meta = altered_vectors("gguf", tmp.path() / "meta", [](json &set) {
    for (auto &v : set.at("vectors"))
      if (v.at("file").get<std::string>().ends_with("g15_version2.gguf"))
        v.at("metadata").at(0).at("value") = "not-llama";
  });
  r = run_kit({"gguf", "--only", "vectors", "--vectors", meta.string()}, 1);
  c = check(r, "vectors");
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->at("detail").get<std::string>().find(
                "g15_version2.gguf metadata 'general.architecture' value: expected \"not-llama\""),
            std::string::npos)
      << c->at("detail");

  const fs::path valid = altered_vectors("safetensors", tmp.path() / "valid", [](json &set) {
    for (auto &v : set.at("vectors"))
      if (v.at("file").get<std::string>().ends_with("m09_overlap.safetensors"))
        v = {{"file", v.at("file")}, {"valid", true}, {"tensors", json::array()}};
  });
  r = run_kit({"safetensors", "--only", "vectors", "--vectors", valid.string()}, 1);
  c = check(r, "vectors");
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->at("detail").get<std::string>().find(
                "m09_overlap.safetensors valid: expected true, but it was refused"),
            std::string::npos)
      << c->at("detail");
}

TEST(CliConformance, ASeedReplaysTheSameFailingInput) {
  const std::string crash = (kPlugins / "weightio_fault_crash.so").string();
  std::string details[2];
  for (auto &d : details) {
    const json r = run_kit({crash, "--only", "robustness.mutation"}, 1);
    const json *c = check(r, "robustness.mutation");
    ASSERT_NE(c, nullptr);
    d = c->at("detail").get<std::string>();
  }
  EXPECT_EQ(details[0], details[1]);
  EXPECT_NE(details[0].find("the reader crashed"), std::string::npos) << details[0];
}

TEST(CliConformance, ThoroughTriesEveryTruncationLength) {
  // wfault's file of the basic case: a 36-byte header, the 15-byte name
  // "layers.0.weight" padded to 56, and 15 bytes of data: 71 bytes, so
  // lengths 0..70. The default run samples 82 (41 short, 40 seeded, 1 short).
  const std::string none = (kPlugins / "weightio_fault_none.so").string();
  const json r = run_kit({none, "--thorough", "--only", "robustness.truncation"}, 0);
  const json *c = check(r, "robustness.truncation");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->at("detail").get<std::string>().rfind("71 inputs", 0), 0u) << c->at("detail");
  EXPECT_EQ(r.at("thorough"), true);
}

TEST(CliConformance, TableNamesEveryCheckAndTheSeed) {
  const auto r = run_cli({"conformance", "--seed", "7", "--only", "contract,probe",
                          (kPlugins / "weightio_fault_none.so").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("(seed 7)"), std::string::npos) << r.out;
  for (const char *id : {"CHECK", "contract.symbols", "contract.descriptor", "probe"})
    EXPECT_NE(r.out.find(id), std::string::npos) << id << "\n" << r.out;
  EXPECT_EQ(r.out.find("roundtrip"), std::string::npos) << r.out;
}

TEST(CliConformance, UsageErrorsExitTwoAndAPluginThatDoesNotLoadFailsContract) {
  EXPECT_EQ(run_cli({"conformance", "/nonexistent/weightio_x.so"}).exit_code, 2);
  EXPECT_EQ(run_cli({"conformance", "no_such_format"}).exit_code, 2);
  EXPECT_EQ(run_cli({"conformance"}).exit_code, 2);
  EXPECT_EQ(run_cli({"conformance", "npz", "--seed", "x"}).exit_code, 2);
  const json r = run_kit({(kPlugins / "weightio_future_abi.so").string()}, 1);
  const json *c = check(r, "contract.load");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->at("result"), "fail");
  EXPECT_NE(c->at("detail").get<std::string>().find("ABI"), std::string::npos) << c->at("detail");
}

} // namespace
