// weightio convert --compress: a deflated npz holding the same tensors (read
// back through the reader's buffer-backed path, not the mapped one).
#include "cli_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;

class CliCompress : public ::testing::Test {
protected:
  std::string p(const std::string &name) { return (dir / name).string(); }
  wtest::TempDir dir;
};

TEST_F(CliCompress, WritesADeflatedNpzWithTheSameTensors) {
  // Compressible content: repeated values.
  wcli_test::Model m;
  auto &t = m.add("zeros", weightio::DType::F32, {4096}, 1);
  std::fill_n(static_cast<float *>(t.mutable_data()), 4096, 0.25f);
  wcli_test::save(p("plain.npz"), m);
  int i = 0;
  for (const std::string flag : {"--compress", "--compress=9", "--compress=1"}) {
    const std::string out = p("z" + std::to_string(i++) + ".npz");
    auto r = run_cli({"convert", p("plain.npz"), out, flag});
    ASSERT_EQ(r.exit_code, 0) << flag << ": " << r.err;
    EXPECT_LT(fs::file_size(out), fs::file_size(p("plain.npz")) / 4) << flag;
    EXPECT_TRUE(wcli_test::same_tensors(weightio::load_weights(p("plain.npz")),
                                        weightio::load_weights(out)));
  }
  // numpy reads it as savez_compressed output: a deflated member.
  const std::string script =
      "import sys, zipfile, numpy as np\n"
      "z = zipfile.ZipFile(sys.argv[1])\n"
      "assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())\n"
      "a = np.load(sys.argv[1])['zeros']\n"
      "assert a.dtype == np.float32 and a.shape == (4096,) and (a == 0.25).all()\n";
  auto py = wtest::run_command({WEIGHTIO_PYTHON, "-c", script, p("z0.npz")});
  EXPECT_EQ(py.exit_code, 0) << py.out << py.err;

  // Level 0 is stored: the same size as the input, which was stored.
  auto r = run_cli({"convert", p("plain.npz"), p("stored.npz"), "--compress=0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::file_size(p("stored.npz")), fs::file_size(p("plain.npz")));
}

} // namespace
