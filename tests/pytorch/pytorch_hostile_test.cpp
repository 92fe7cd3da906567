// Hostile and broken checkpoints (tests/python/pytorch_hand_built.py, and
// files torch wrote that weightio does not read): each is refused with a
// message naming the offence, without running anything and within the
// limits. Also the hand-built files that must read: torch 2.x's `archive/`
// layout with a big-endian byteorder, and _rebuild_tensor_v3.
#include "pytorch_test_host.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>

namespace {

using nlohmann::json;
using pttest::read_checkpoint;

class PytorchHostile : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<wtest::TempDir>();
    const auto made =
        wtest::run_python(wtest::python_script("pytorch_hand_built.py"), {dir_->path().string()});
    ASSERT_EQ(made.exit_code, 0) << "the hand-built checkpoints could not be written (is "
                                    "python3-torch installed for /usr/bin/python3?): "
                                 << made.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::vector<uint8_t> file(const std::string &name) {
    return wtest::read_bytes(dir_->path() / name);
  }

  static void expect_refused(const std::string &name, int32_t status,
                             std::initializer_list<const char *> parts) {
    SCOPED_TRACE(name);
    const auto start = std::chrono::steady_clock::now();
    const auto r = read_checkpoint(file("hostile/" + name));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_EQ(r.status, status) << r.error;
    EXPECT_TRUE(r.tensors.empty()) << "a refused checkpoint was half-read";
    for (const char *p : parts)
      EXPECT_NE(r.error.find(p), std::string::npos) << "'" << p << "' not in: " << r.error;
  }

  static std::unique_ptr<wtest::TempDir> dir_;
};

std::unique_ptr<wtest::TempDir> PytorchHostile::dir_;

constexpr int32_t kInvalid = WIO_ERR_INVALID_FILE;

TEST_F(PytorchHostile, CodeIsNeverRun) {
  expect_refused("global_system.pt", kInvalid,
                 {"record 'archive/data.pkl'", "pickle GLOBAL 'posix.system'", "at offset 2"});
  expect_refused("builtin_eval.pt", kInvalid, {"'__builtin__.eval'", "not allowed"});
  expect_refused("getattr_reduce.pt", kInvalid, {"'__builtin__.getattr'"});
  expect_refused("inst.pt", kInvalid, {"INST (0x69) at offset 12"});
  expect_refused("obj.pt", kInvalid, {"'os.system'"});
}

TEST_F(PytorchHostile, MalformedPickles) {
  expect_refused("setitem_list.pt", kInvalid, {"SETITEM", "list, not a dict"});
  expect_refused("binget_unset.pt", kInvalid, {"BINGET", "memo slot 7 was never set"});
  expect_refused("truncated.pt", kInvalid, {"record 'base/data.pkl'", "truncated pickle"});
  expect_refused("two_names.pt", kInvalid, {"'a.b'", "two objects"});
}

TEST_F(PytorchHostile, BombsAreRefusedAsLimits) {
  expect_refused("mark_bomb.pt", WIO_ERR_LIMIT, {"(max_stack_depth)"});
  expect_refused("deep_nesting.pt", WIO_ERR_LIMIT, {"(max_stack_depth)"});
  expect_refused("huge_string.pt", WIO_ERR_LIMIT, {"2147483647", "(max_string_bytes)"});
  expect_refused("dims_overflow.pt", kInvalid,
                 {"bad tensor 'o'", "product of its dimensions overflows"});
}

TEST_F(PytorchHostile, RecordsThatDisagreeWithTheirStorages) {
  expect_refused("missing_record.pt", kInvalid, {"missing record 'base/data/0'"});
  expect_refused("short_record.pt", kInvalid,
                 {"record size mismatch 'base/data/0'", "holds 20 bytes", "needs 24"});
  expect_refused("long_record.pt", kInvalid, {"'base/data/0'", "holds 28 bytes"});
  expect_refused("class_disagrees.pt", kInvalid,
                 {"'archive/data/0'", "DoubleStorage of 6 elements", "needs 48"});
  expect_refused("view_past.pt", kInvalid, {"bad tensor 'v'", "a view past its storage"});
  expect_refused("deflated.pt", kInvalid, {"compressed record 'base/data.pkl'"});
}

TEST_F(PytorchHostile, WhatIsNotACheckpointSaysWhatItIs) {
  expect_refused("torchscript.pt", kInvalid, {"TorchScript", "torch.jit.load"});
  expect_refused("quantized.pt", kInvalid, {"'layer.q'", "quantized tensor"});
  expect_refused("sparse.pt", kInvalid, {"'sp'", "sparse tensor"});
  expect_refused("tar.pt", kInvalid, {"tar archive"});
  expect_refused("random.pt", kInvalid, {"not a PyTorch checkpoint"});
}

TEST_F(PytorchHostile, LegacyStreamsThatDisagree) {
  expect_refused("legacy_trailing.pt", kInvalid, {"4 bytes follow the last storage"});
  expect_refused("legacy_short.pt", kInvalid,
                 {"bad legacy checkpoint 'storage ", "ends inside its 24 bytes"});
  expect_refused("legacy_big_endian.pt", kInvalid, {"big-endian machine"});
}

// Hand-built files that must read, against values numpy wrote.
TEST_F(PytorchHostile, HandBuiltFilesRead) {
  const json manifest = json::parse(wtest::read_text(dir_->path() / "good/manifest.json"));
  for (const auto &[name, m] : manifest.items()) {
    SCOPED_TRACE(name);
    const auto bytes = file("good/" + name);
    const auto r = read_checkpoint(bytes);
    ASSERT_EQ(r.status, WIO_OK) << r.error;
    ASSERT_EQ(r.tensors.size(), m["tensors"].size());
    for (size_t i = 0; i < r.tensors.size(); ++i) {
      const auto &e = r.tensors[i];
      const json &t = m["tensors"][i];
      SCOPED_TRACE(e.name);
      EXPECT_EQ(e.name, t["name"].get<std::string>());
      EXPECT_EQ(weightio::sdk::dtype_info(e.dtype).name, t["dtype"].get<std::string>());
      EXPECT_EQ(e.shape, t["shape"].get<std::vector<int64_t>>());
      EXPECT_EQ(e.storage, t["contiguous"].get<bool>() ? WIO_STORAGE_MAPPED : WIO_STORAGE_STRIDED);
      EXPECT_EQ((e.flags & WIO_TENSOR_BYTE_SWAP) != 0, t["byte_swap"].get<bool>());
      EXPECT_EQ(pttest::gather(bytes, e), file("good/" + t["data"].get<std::string>()));
    }
  }
}

} // namespace
