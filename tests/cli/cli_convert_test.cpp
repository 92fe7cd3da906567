// weightio convert: round trips between formats, metadata, compression,
// overwriting, and failures that must leave nothing behind.
#include "cli_support.hpp"

#include <gtest/gtest.h>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;

class CliConvert : public ::testing::Test {
protected:
  void SetUp() override {
    wcli_test::save(npz, wcli_test::mixed_model(3));
    wcli_test::save(st, wcli_test::mixed_model(3), {{"format", "mlx"}, {"step", "1000"}});
  }
  std::string p(const std::string &name) { return (dir / name).string(); }
  wtest::TempDir dir;
  fs::path npz = dir / "in.npz";
  fs::path st = dir / "in.safetensors";
};

TEST_F(CliConvert, NpzToSafetensorsToNpzKeepsEveryTensor) {
  auto r1 = run_cli({"convert", npz.string(), p("mid.safetensors")});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r1.err, "");
  auto r2 = run_cli({"convert", p("mid.safetensors"), p("back.npz")});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;

  const auto original = weightio::load_weights(npz);
  const auto mid = weightio::load_weights(p("mid.safetensors"));
  const auto back = weightio::load_weights(p("back.npz"));
  EXPECT_EQ(mid.format, "safetensors");
  EXPECT_EQ(back.format, "npz");
  EXPECT_TRUE(wcli_test::same_tensors(original, mid));
  EXPECT_TRUE(wcli_test::same_tensors(original, back));
  // Both are ordinary files of their format, not just readable by us: the
  // library's verify runs every check (and every CRC for npz).
  weightio::LoadOptions verify;
  verify.verify = true;
  EXPECT_NO_THROW(weightio::load_weights(p("back.npz"), verify));
}

TEST_F(CliConvert, KeepsMetadataBetweenFormatsThatHoldIt) {
  auto r = run_cli({"convert", st.string(), p("copy.safetensors")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(weightio::load_weights(p("copy.safetensors")).metadata,
            weightio::load_weights(st).metadata);
}

TEST_F(CliConvert, SaysOnStderrWhichMetadataItCouldNotKeep) {
  auto r = run_cli({"convert", st.string(), p("out.npz")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("format"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("step"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(p("out.npz")), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(
      wcli_test::same_tensors(weightio::load_weights(st), weightio::load_weights(p("out.npz"))));
}

TEST_F(CliConvert, MetadataOptionsAddAndReplaceEntries) {
  auto r = run_cli({"convert", st.string(), p("tagged.safetensors"), "--metadata", "step=2000",
                    "--metadata", "author=me", "--metadata", "expr=a=b"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const weightio::Metadata expected{
      {"format", "mlx"}, {"step", "2000"}, {"author", "me"}, {"expr", "a=b"}};
  EXPECT_EQ(weightio::load_weights(p("tagged.safetensors")).metadata, expected);
}

TEST_F(CliConvert, MetadataForAFormatWithoutMetadataIsExitTwoAndWritesNothing) {
  auto r = run_cli({"convert", st.string(), p("x.npz"), "--metadata", "author=me"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(p("x.npz")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("metadata"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(p("x.npz")));
  // Not even a temporary file.
  size_t files = 0;
  for ([[maybe_unused]] const auto &e : fs::directory_iterator(dir.path()))
    ++files;
  EXPECT_EQ(files, 2u);
}

TEST_F(CliConvert, CompressionForAFormatThatDoesNotCompressIsExitTwo) {
  auto r = run_cli({"convert", npz.string(), p("x.safetensors"), "--compress"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(p("x.safetensors")), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(p("x.safetensors")));
}

TEST_F(CliConvert, RefusesToOverwriteWithoutForce) {
  wtest::write_bytes(p("taken.safetensors"), {'o', 'l', 'd'});
  auto r = run_cli({"convert", npz.string(), p("taken.safetensors")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(p("taken.safetensors")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(wtest::read_text(p("taken.safetensors")), "old");

  for (const char *force : {"--force", "-f"}) {
    auto f = run_cli({"convert", npz.string(), p("taken.safetensors"), force});
    ASSERT_EQ(f.exit_code, 0) << f.err;
    EXPECT_TRUE(wcli_test::same_tensors(weightio::load_weights(npz),
                                        weightio::load_weights(p("taken.safetensors"))));
  }
}

TEST_F(CliConvert, FormatOptionNamesTheOutputFormat) {
  auto r = run_cli({"convert", npz.string(), p("weights.bin"), "--format", "safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  weightio::LoadOptions o;
  o.format = "safetensors";
  EXPECT_TRUE(wcli_test::same_tensors(weightio::load_weights(npz),
                                      weightio::load_weights(p("weights.bin"), o)));

  // Without --format, .bin is PyTorch's (transformers' pytorch_model.bin);
  // weightio 0.2, which had no format for .bin, refused this with exit 2.
  auto bin = run_cli({"convert", npz.string(), p("weights2.bin")});
  ASSERT_EQ(bin.exit_code, 0) << bin.err;
  const weightio::Weights as_bin = weightio::load_weights(p("weights2.bin"));
  EXPECT_EQ(as_bin.format, "pytorch");
  EXPECT_TRUE(wcli_test::same_tensors(weightio::load_weights(npz), as_bin));

  auto unknown = run_cli({"convert", npz.string(), p("weights3.nosuchext")});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find(p("weights3.nosuchext")), std::string::npos) << unknown.err;
  EXPECT_FALSE(fs::exists(p("weights3.nosuchext")));

  auto bad = run_cli({"convert", npz.string(), p("w.npz"), "--format", "nosuchformat"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("nosuchformat"), std::string::npos) << bad.err;
}

TEST_F(CliConvert, FailuresNameTheFileAndExitWithTheRightStatus) {
  // Missing input: 2 (can't be opened).
  auto missing = run_cli({"convert", p("absent.npz"), p("o.safetensors")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(p("absent.npz")), std::string::npos) << missing.err;
  // Malformed input: 1.
  wtest::write_bytes(p("broken.npz"), {'P', 'K', 3, 4, 0, 0});
  auto broken = run_cli({"convert", p("broken.npz"), p("o.safetensors")});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.err.find(p("broken.npz")), std::string::npos) << broken.err;
  // Output folder missing: 2.
  auto nodir = run_cli({"convert", npz.string(), p("no/such/dir/o.safetensors")});
  EXPECT_EQ(nodir.exit_code, 2);
  EXPECT_NE(nodir.err.find("o.safetensors"), std::string::npos) << nodir.err;
  EXPECT_FALSE(fs::exists(p("o.safetensors")));
}

TEST_F(CliConvert, ADtypeTheOutputFormatCannotHoldIsExitTwo) {
  wcli_test::Model m;
  m.add("fp8", weightio::DType::F8_E4M3, {8}, 1);
  wcli_test::save(p("fp8.safetensors"), m);
  auto r = run_cli({"convert", p("fp8.safetensors"), p("fp8.npz")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("fp8"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(p("fp8.npz")));
}

} // namespace
