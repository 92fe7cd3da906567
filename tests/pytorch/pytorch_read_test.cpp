// Checkpoints written by torch 1.13 itself (tests/python/
// pytorch_make_checkpoints.py), read by the PyTorch reader and compared
// with what torch.load gives back: names, dtypes, shapes, bytes, scalar
// leaves, storage sharing, MAPPED vs STRIDED placement.
#include "pytorch_test_host.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <map>
#include <memory>
#include <set>

namespace {

using nlohmann::json;
using pttest::Emitted;
using pttest::read_checkpoint;

class PytorchRead : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<wtest::TempDir>();
    const auto made = wtest::run_python(wtest::python_script("pytorch_make_checkpoints.py"),
                                        {dir_->path().string()});
    ASSERT_EQ(made.exit_code, 0) << "torch could not write the checkpoints (is python3-torch "
                                    "installed for /usr/bin/python3?): "
                                 << made.err;
    manifest_ = json::parse(wtest::read_text(dir_->path() / "manifest.json"));
  }
  static void TearDownTestSuite() { dir_.reset(); }

  static std::vector<uint8_t> file(const std::string &name) {
    return wtest::read_bytes(dir_->path() / name);
  }
  static const Emitted *find(const pttest::ReadResult &r, const std::string &name) {
    for (const auto &t : r.tensors)
      if (t.name == name)
        return &t;
    return nullptr;
  }

  // Every tensor and value torch.load gives, and nothing else.
  static void expect_matches_torch(const std::string &name) {
    SCOPED_TRACE(name);
    const json &m = manifest_.at(name);
    const auto bytes = file(name);
    const auto r = read_checkpoint(bytes);
    ASSERT_EQ(r.status, WIO_OK) << r.error;
    ASSERT_EQ(r.tensors.size(), m["tensors"].size());
    for (const json &t : m["tensors"]) {
      const std::string tname = t["name"];
      SCOPED_TRACE(tname);
      const Emitted *e = find(r, tname);
      ASSERT_NE(e, nullptr);
      EXPECT_EQ(weightio::sdk::dtype_info(e->dtype).name, t["dtype"].get<std::string>());
      EXPECT_EQ(e->shape, t["shape"].get<std::vector<int64_t>>());
      EXPECT_EQ(e->storage, t["contiguous"].get<bool>() ? WIO_STORAGE_MAPPED : WIO_STORAGE_STRIDED);
      EXPECT_NE(e->storage_id, 0u);
      EXPECT_EQ(e->flags, 0u);
      EXPECT_EQ(pttest::gather(bytes, *e), wtest::read_bytes(dir_->path() / t["data"]));
    }
    ASSERT_EQ(r.values.size(), m["values"].size());
    for (const json &v : m["values"]) {
      const std::string vname = v["name"];
      SCOPED_TRACE(vname);
      ASSERT_TRUE(r.values.count(vname));
      const pttest::Value &got = r.values.at(vname);
      const std::string type = v["type"];
      if (type == "I64") {
        EXPECT_EQ(got.type, WIO_VALUE_I64);
        EXPECT_EQ(got.i, v["value"].get<int64_t>());
      } else if (type == "F64") {
        EXPECT_EQ(got.type, WIO_VALUE_F64);
        EXPECT_EQ(got.f, v["value"].get<double>());
      } else if (type == "BOOL") {
        EXPECT_EQ(got.type, WIO_VALUE_BOOL);
        EXPECT_EQ(got.b, v["value"].get<bool>());
      } else {
        EXPECT_EQ(got.type, WIO_VALUE_STRING);
        EXPECT_EQ(got.s, v["value"].get<std::string>());
      }
    }
    const uint64_t skipped = m["skipped_values"];
    size_t warned = 0;
    for (const auto &w : r.warnings)
      if (w.find("skipped " + std::to_string(skipped) + " value") != std::string::npos)
        ++warned;
    EXPECT_EQ(warned, skipped != 0 ? 1u : 0u);
  }

  static std::unique_ptr<wtest::TempDir> dir_;
  static json manifest_;
};

std::unique_ptr<wtest::TempDir> PytorchRead::dir_;
json PytorchRead::manifest_;

TEST_F(PytorchRead, EveryDtypeOfTorch113) {
  expect_matches_torch("dtypes.pt");
}
TEST_F(PytorchRead, ViewsAreStridedOrMappedAsTheirStrides) {
  expect_matches_torch("views.pt");
}
TEST_F(PytorchRead, ModuleStateDict) {
  expect_matches_torch("module.pt");
}
TEST_F(PytorchRead, TiedWeights) {
  expect_matches_torch("tied.pt");
}
TEST_F(PytorchRead, TrainingCheckpointWithScalarsAndLists) {
  expect_matches_torch("training.pt");
}
TEST_F(PytorchRead, Parameters) {
  expect_matches_torch("params.pt");
}
TEST_F(PytorchRead, LegacyFormat) {
  expect_matches_torch("legacy.pt");
}
TEST_F(PytorchRead, LegacyTrainingCheckpoint) {
  expect_matches_torch("legacy_training.pt");
}
TEST_F(PytorchRead, BareTensorHasTheEmptyName) {
  expect_matches_torch("bare.pt");
}

// One storage key, one storage: tied weights and views of one tensor give
// one id and one byte range; ids are small numbers from 1.
TEST_F(PytorchRead, SharedStoragesShareOneId) {
  const auto tied = read_checkpoint(file("tied.pt"));
  ASSERT_EQ(tied.status, WIO_OK) << tied.error;
  const Emitted *emb = find(tied, "emb.weight"), *head = find(tied, "head.weight");
  ASSERT_TRUE(emb && head);
  EXPECT_EQ(emb->storage_id, 1u);
  EXPECT_EQ(head->storage_id, emb->storage_id);
  EXPECT_EQ(head->storage_offset, emb->storage_offset);
  EXPECT_EQ(head->storage_size, emb->storage_size);

  const auto views = read_checkpoint(file("views.pt"));
  ASSERT_EQ(views.status, WIO_OK) << views.error;
  std::set<uint64_t> ids;
  for (const auto &t : views.tensors)
    if (t.name != "expand")
      ids.insert(t.storage_id);
  EXPECT_EQ(ids, std::set<uint64_t>{1});
  EXPECT_EQ(find(views, "expand")->storage_id, 2u);
  EXPECT_EQ(find(views, "full")->storage_size, 24u * 4);
  // A contiguous view that does not start the storage is mapped at its
  // element offset.
  const Emitted *row = find(views, "row");
  EXPECT_EQ(row->storage, WIO_STORAGE_MAPPED);
  EXPECT_EQ(row->offset, row->storage_offset + 6 * 4);
  EXPECT_EQ(find(views, "block")->element_offset, 8u);
}

TEST_F(PytorchRead, DescribeDeclaresStoragesWithoutBytes) {
  pttest::HostOptions host;
  host.flags = WIO_READ_DESCRIBE;
  const auto r = read_checkpoint(file("views.pt"), host);
  ASSERT_EQ(r.status, WIO_OK) << r.error;
  ASSERT_EQ(r.tensors.size(), 9u);
  for (const auto &t : r.tensors) {
    EXPECT_EQ(t.storage, WIO_STORAGE_NONE) << t.name;
    EXPECT_NE(t.storage_id, 0u) << t.name;
  }
  EXPECT_EQ(find(r, "t")->nbytes, 24u * 4);
}

TEST_F(PytorchRead, RootPicksASubTree) {
  pttest::HostOptions host;
  host.options = {{"root", "state_dict"}};
  const auto r = read_checkpoint(file("training.pt"), host);
  ASSERT_EQ(r.status, WIO_OK) << r.error;
  EXPECT_EQ(r.tensors.size(), 9u); // the model's state dict alone
  EXPECT_NE(find(r, "0.weight"), nullptr);
  EXPECT_NE(find(r, "3.num_batches_tracked"), nullptr);
  EXPECT_TRUE(r.values.empty());

  host.options = {{"root", "optimizer.param_groups.0"}};
  const auto g = read_checkpoint(file("training.pt"), host);
  ASSERT_EQ(g.status, WIO_OK) << g.error;
  EXPECT_TRUE(g.tensors.empty());
  EXPECT_EQ(g.values.at("betas.1").f, 0.999);

  host.options = {{"root", "model"}};
  const auto missing = read_checkpoint(file("training.pt"), host);
  EXPECT_EQ(missing.status, WIO_ERR_INVALID_FILE);
  EXPECT_NE(missing.error.find("'root model'"), std::string::npos) << missing.error;

  host.options = {{"root", "epoch"}};
  const auto leaf = read_checkpoint(file("training.pt"), host);
  EXPECT_EQ(leaf.status, WIO_ERR_INVALID_FILE);
  EXPECT_NE(leaf.error.find("not a sub-tree"), std::string::npos) << leaf.error;
}

TEST_F(PytorchRead, ProbeKnowsTorchFilesByContent) {
  for (const char *name : {"module.pt", "legacy.pt", "training.pt"}) {
    const auto b = file(name);
    EXPECT_EQ(weightio::pytorch::probe_pytorch(b.data(), std::min<size_t>(b.size(), 4096)),
              WIO_PROBE_YES)
        << name;
  }
  const auto legacy = file("legacy.pt");
  EXPECT_EQ(weightio::pytorch::probe_pytorch(legacy.data(), 8), WIO_PROBE_UNSURE);
  const uint8_t npz[] = "PK\x03\x04\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x05\0\0\0x.npy";
  EXPECT_EQ(weightio::pytorch::probe_pytorch(npz, sizeof npz - 1), WIO_PROBE_NO);
  const uint8_t text[] = "hello world, not a checkpoint";
  EXPECT_EQ(weightio::pytorch::probe_pytorch(text, sizeof text - 1), WIO_PROBE_NO);
}

// Through the public API, as a host loads: files whose tensors are all
// contiguous (MAPPED), which every host of ABI 3 places.
TEST_F(PytorchRead, LoadWeightsGivesTorchsBytes) {
  for (const char *name : {"module.pt", "dtypes.pt", "training.pt", "legacy_training.pt"}) {
    SCOPED_TRACE(name);
    const json &m = manifest_.at(name);
    const weightio::Weights w = weightio::load_weights(dir_->path() / name);
    EXPECT_EQ(w.format, "pytorch");
    ASSERT_EQ(w.size(), m["tensors"].size());
    for (const json &t : m["tensors"]) {
      const weightio::Tensor &got = w.at(t["name"].get<std::string>());
      const auto want = wtest::read_bytes(dir_->path() / t["data"]);
      ASSERT_EQ(got.nbytes(), want.size());
      if (!want.empty()) {
        EXPECT_EQ(std::memcmp(got.data(), want.data(), want.size()), 0) << t["name"];
      }
    }
    EXPECT_EQ(w.metadata.size(), m["values"].size());
  }
  const weightio::Weights t = weightio::load_weights(dir_->path() / "training.pt");
  EXPECT_EQ(t.metadata.at("epoch").as_int(), 7);
  EXPECT_EQ(t.metadata.at("optimizer.param_groups.0.betas.0").as_double(), 0.9);
  EXPECT_EQ(t.metadata.at("run").as_string(), "run-1");
}

// The host's limits and the format's own options, on real files.
TEST_F(PytorchRead, LimitsAreRefusedNamingThem) {
  struct Case {
    const char *file;
    pttest::HostOptions host;
    const char *limit;
  };
  pttest::HostOptions bytes;
  bytes.options = {{"max_pickle_bytes", "100"}};
  pttest::HostOptions objects;
  objects.options = {{"max_pickle_objects", "50"}};
  pttest::HostOptions tensors;
  tensors.limits.max_tensors = 3;
  pttest::HostOptions names;
  names.limits.max_name_bytes = 8;
  pttest::HostOptions ndim;
  ndim.limits.max_ndim = 1;
  const Case cases[] = {
      {"training.pt", bytes, "(max_pickle_bytes)"},
      {"legacy_training.pt", bytes, "(max_pickle_bytes)"},
      {"training.pt", objects, "(max_pickle_objects)"},
      {"module.pt", tensors, "tensors 4 is over the limit 3 (max_tensors)"},
      {"module.pt", names, "(max_name_bytes)"},
      {"module.pt", ndim, "tensor dimensions 2 is over the limit 1 (max_ndim)"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.limit);
    const auto r = read_checkpoint(file(c.file), c.host);
    EXPECT_EQ(r.status, WIO_ERR_LIMIT) << r.error;
    EXPECT_NE(r.error.find(c.limit), std::string::npos) << r.error;
    EXPECT_TRUE(r.tensors.empty());
  }
}

} // namespace
