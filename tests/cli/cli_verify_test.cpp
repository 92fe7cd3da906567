// weightio verify: "ok: N tensors", exit 1 for an invalid file, 2 for one
// that can't be opened.
#include "cli_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;

TEST(CliVerify, ValidFilesPrintOkAndTheirTensorCount) {
  wtest::TempDir dir;
  for (const char *name : {"m.npz", "m.safetensors"}) {
    wcli_test::save(dir / name, wcli_test::mixed_model());
    auto r = run_cli({"verify", (dir / name).string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out,
              "ok: " + std::to_string(weightio::load_weights(dir / name).size()) + " tensors\n");
    EXPECT_EQ(r.err, "");
  }
}

TEST(CliVerify, JsonListsEveryTensorWithItsPlacement) {
  wtest::TempDir dir;
  wcli_test::save(dir / "m.safetensors", wcli_test::mixed_model());
  ASSERT_EQ(run_cli({"convert", (dir / "m.safetensors").string(), (dir / "z.npz").string(),
                     "--compress=6"})
                .exit_code,
            0);
  for (const auto &[name, placement] :
       {std::pair<std::string, std::string>{"m.safetensors", "mapped"}, {"z.npz", "decoded"}}) {
    const auto file = dir / name;
    auto r = run_cli({"verify", file.string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(nlohmann::ordered_json::parse(r.out).begin().key(), "schema");
    EXPECT_EQ(j.at("schema"), "weightio.verify/1");
    EXPECT_EQ(j.at("file"), file.string());
    const weightio::Weights w = weightio::load_weights(file);
    EXPECT_EQ(j.at("format"), w.format);
    ASSERT_EQ(j.at("tensors").size(), w.size());
    size_t i = 0;
    for (const auto &[tname, t] : w) {
      const auto &e = j.at("tensors").at(i++);
      EXPECT_EQ(e.at("name"), tname);
      EXPECT_EQ(e.at("dtype"), std::string(t.type_name()));
      EXPECT_EQ(e.at("shape").get<weightio::Shape>(), t.shape());
      EXPECT_EQ(e.at("nbytes").get<uint64_t>(), t.nbytes());
      EXPECT_EQ(e.at("placement"), placement) << tname;
    }
  }
}

TEST(CliVerify, JsonOfACorruptFileIsExitOneWithNothingOnStdout) {
  wtest::TempDir dir;
  wcli_test::write_example_files(dir.path());
  auto r = run_cli({"verify", (dir / "corrupt.npz").string(), "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("CRC"), std::string::npos) << r.err;
}

TEST(CliVerify, ACorruptDataByteIsFoundByTheCrcAndIsExitOne) {
  wtest::TempDir dir;
  wcli_test::write_example_files(dir.path());
  // The structure is intact (inspect still reads the table of contents of
  // any tensor but the damaged one); verify checks every CRC.
  auto r = run_cli({"verify", (dir / "corrupt.npz").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find((dir / "corrupt.npz").string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("CRC"), std::string::npos) << r.err;
}

TEST(CliVerify, TruncatedAndGarbageFilesAreExitOne) {
  wtest::TempDir dir;
  wcli_test::save(dir / "m.safetensors", wcli_test::mixed_model());
  auto bytes = wtest::read_bytes(dir / "m.safetensors");
  for (size_t keep : {size_t{0}, size_t{5}, size_t{9}, bytes.size() - 1}) {
    const fs::path f = dir / ("cut" + std::to_string(keep) + ".safetensors");
    wtest::write_bytes(f, std::vector<uint8_t>(bytes.begin(), bytes.begin() + keep));
    auto r = run_cli({"verify", f.string()});
    EXPECT_EQ(r.exit_code, 1) << keep << ": " << r.err;
    EXPECT_NE(r.err.find(f.string()), std::string::npos) << r.err;
  }
}

TEST(CliVerify, MissingFileOrFolderIsExitTwo) {
  wtest::TempDir dir;
  for (const fs::path &f : {dir / "absent.npz", dir.path()}) {
    auto r = run_cli({"verify", f.string()});
    EXPECT_EQ(r.exit_code, 2) << f << ": " << r.err;
    EXPECT_NE(r.err.find(f.string()), std::string::npos) << r.err;
  }
}

} // namespace
