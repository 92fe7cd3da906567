// ABI 3's extensions shared by content and folder names, through a real
// plugin binary ("stv", tests/plugins/stv_plugin.cpp: .stv and a shared
// .bin, folder names stv_model*): a .bin file is read by whichever format
// recognises its content, and a folder counts a yielding format's files
// only by its patterns and only where no other checkpoint is.
#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

// An stv file of no tensors: the magic and a zero count.
const std::vector<uint8_t> kEmptyStv = {'S', 'T', 'V', '1', 0, 0, 0, 0};

FlatParams one_tensor(const std::vector<float> &data) {
  FlatParams p;
  p.emplace("w", TensorView(DType::F32, {static_cast<int64_t>(data.size())}, data.data()));
  return p;
}

bool has(const std::vector<std::string> &warnings, const std::string &text) {
  for (const auto &w : warnings)
    if (w.find(text) != std::string::npos)
      return true;
  return false;
}

} // namespace

TEST(SharedExtension, ABinFileIsReadByTheFormatItsContentIs) {
  wtest::load_test_plugin("stv");
  wtest::TempDir dir;
  wtest::write_bytes(dir / "a.bin", kEmptyStv);
  EXPECT_EQ(load_weights(dir / "a.bin").format, "stv");
  const std::vector<float> data = {1, 2, 3};
  save_weights(dir / "s.safetensors", one_tensor(data));
  fs::rename(dir / "s.safetensors", dir / "s.bin");
  const Weights w = load_weights(dir / "s.bin");
  EXPECT_EQ(w.format, "safetensors");
  EXPECT_EQ(w.at("w").shape(), (Shape{3}));
  // --plugin (LoadOptions::format) still names the reader outright.
  LoadOptions o;
  o.format = "stv";
  EXPECT_THROW((void)load_weights(dir / "s.bin", o), FormatError);
}

TEST(SharedExtension, AFolderCountsAYieldingFormatsFilesOnlyByItsNames) {
  wtest::load_test_plugin("stv");
  wtest::TempDir dir;
  wtest::write_bytes(dir / "notes.stv", kEmptyStv);
  try {
    (void)load_weights(dir.path());
    ADD_FAILURE() << "a folder of no stv_model* file loaded";
  } catch (const IoError &e) {
    EXPECT_NE(std::string(e.what()).find("no weights file"), std::string::npos) << e.what();
  }
  wtest::write_bytes(dir / "stv_model.stv", kEmptyStv);
  const Weights w = load_weights(dir.path());
  EXPECT_EQ(w.format, "stv");
  EXPECT_TRUE(w.warnings.empty());
}

TEST(SharedExtension, AFolderPrefersAnotherFormatsCheckpointAndSaysWhatItLeft) {
  wtest::load_test_plugin("stv");
  wtest::TempDir dir;
  wtest::write_bytes(dir / "stv_model.stv", kEmptyStv);
  const std::vector<float> data = {4, 5};
  save_weights(dir / "model.safetensors", one_tensor(data));
  const Weights w = load_weights(dir.path());
  EXPECT_EQ(w.format, "safetensors");
  EXPECT_TRUE(has(w.warnings, "'stv_model.stv', left unread"))
      << ::testing::PrintToString(w.warnings);
}
