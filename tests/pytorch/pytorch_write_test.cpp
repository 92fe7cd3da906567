// The pytorch writer against Debian's torch 1.13: what weightio saves as
// .pt/.pth/.bin loads with torch.load (weights_only too, without a warning),
// holds the tensors saved, and is what torch.save writes for the same state
// dict; what torch 1.13 cannot hold is refused by name.
#include "../cli/cli_support.hpp"
#include "pytorch_write_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

using namespace weightio;
using namespace ptw_test;

namespace {

class PytorchWrite : public ::testing::Test {
protected:
  fs::path save(const std::string &file, const std::vector<Owned> &ts,
                const SaveOptions &options = {}) {
    const fs::path path = dir_ / file;
    const SaveResult result = save_weights(path, views_of(ts), options);
    EXPECT_EQ(result.warnings, std::vector<std::string>{});
    return path;
  }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto &e : fs::directory_iterator(dir_.path()))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  wtest::TempDir dir_;
};

const DType kTorchDTypes[] = {DType::BOOL, DType::U8,  DType::I8,  DType::I16,
                              DType::I32,  DType::I64, DType::F16, DType::BF16,
                              DType::F32,  DType::F64, DType::C64, DType::C128};

TEST_F(PytorchWrite, EveryTorchDtypeLoadsWithItsBytesAsTorchSaveWritesIt) {
  std::vector<Owned> ts;
  uint32_t seed = 1;
  for (const DType d : kTorchDTypes) {
    const std::string base = "layers." + std::to_string(seed) + "." + torch_name(d).substr(6);
    ts.push_back(make(base + ".weight", d, {3, 5}, seed++));
    ts.push_back(make(base + ".bias", d, {2, 1, 3, 2}, seed++));
  }
  const json report = torch_report({save("model.pt", ts)});
  ASSERT_EQ(report["files"].size(), 1u);
  expect_torch_file(report["files"][0]);
  expect_tensors(report, ts);
}

TEST_F(PytorchWrite, ScalarsAndEmptyTensorsKeepTheirShapes) {
  const std::vector<Owned> ts = {make("step", DType::I64, {}),
                                 make("lr", DType::F32, {}, 2),
                                 make("flag", DType::BOOL, {}, 3),
                                 make("none", DType::F32, {0}, 4),
                                 make("rows", DType::F16, {0, 4}, 5),
                                 make("cols", DType::BF16, {4, 0}, 6),
                                 make("mid", DType::C64, {2, 0, 3}, 7),
                                 make("z", DType::I8, {1, 1, 1, 1, 1}, 8),
                                 make("big.dims", DType::U8, {70000, 0}, 9)};
  const json report = torch_report({save("model.pt", ts)});
  expect_torch_file(report["files"][0]);
  expect_tensors(report, ts);
}

// Sizes and strides past 2^31 are pickled as LONG1: an empty tensor has them
// without the bytes.
TEST_F(PytorchWrite, DimensionsPastTwoToThe31AreTheIntsTorchWrites) {
  const std::vector<Owned> ts = {make("tall", DType::F32, {3'000'000'000, 0}),
                                 make("wide", DType::F64, {0, 3'000'000'000}),
                                 make("huge", DType::I8, {int64_t{1} << 40, 0, 255, 256})};
  const json report = torch_report({save("model.pt", ts)});
  expect_torch_file(report["files"][0]);
  expect_tensors(report, ts);
}

// 1001 tensors: the pickle's memo passes 256 entries (LONG_BINPUT and
// LONG_BINGET), its items go in a batch of 1000 and a batch of one, and the
// records sort as strings (data/10 before data/2).
TEST_F(PytorchWrite, ManyTensorsPickleAndOrderAsTorchSaveDoes) {
  std::vector<Owned> ts;
  for (int i = 0; i < 1001; ++i)
    ts.push_back(make("blocks." + std::to_string(i) + ".w", kTorchDTypes[i % 12], {i % 3, 2},
                      static_cast<uint32_t>(i)));
  const json report = torch_report({save("model.pt", ts)});
  expect_torch_file(report["files"][0]);
  expect_tensors(report, ts);
  const json &names = report["files"][0]["record_names"];
  ASSERT_EQ(names.size(), 1003u);
  EXPECT_EQ(names[0], "archive/data.pkl");
  EXPECT_EQ(names[3], "archive/data/10");
  EXPECT_EQ(names[1002], "archive/version");
}

// 65,535 tensors make 65,537 records, more than a classic end record
// counts: the archive ends with ZIP64 records, which torch's reader (miniz)
// and Python's zipfile both follow.
TEST_F(PytorchWrite, MoreRecordsThanAClassicZipCountsEndWithZip64Records) {
  std::vector<Owned> ts;
  for (int i = 0; i < 65535; ++i)
    ts.push_back(make("p" + std::to_string(i), i % 2 ? DType::F16 : DType::I32, {i % 3},
                      static_cast<uint32_t>(i)));
  const fs::path path = save("model.pt", ts);
  const auto bytes = wtest::read_bytes(path);
  const std::string tail(bytes.end() - 98, bytes.end()); // ZIP64 end, locator, end
  EXPECT_EQ(tail.substr(0, 4), std::string("PK\x06\x06"));
  const json report = torch_report({path});
  expect_torch_file(report["files"][0]);
  expect_tensors(report, ts);
}

// Large records take the writer's other path (CRC-32 patched after the
// data); torch and Python's zipfile check it.
TEST_F(PytorchWrite, LargeTensorsLoadWithTheirBytes) {
  const std::vector<Owned> ts = {
      make("small", DType::F32, {7}), make("embed.weight", DType::BF16, {4096, 3001}, 2),
      make("head.weight", DType::F32, {1000, 1000}, 3), make("tail", DType::I64, {3}, 4)};
  const json report = torch_report({save("model.pt", ts)});
  expect_torch_file(report["files"][0]);
  expect_tensors(report, ts);
}

TEST_F(PytorchWrite, SameTensorsGiveTheSameBytesWhateverTheExtension) {
  std::vector<Owned> ts;
  for (int i = 0; i < 20; ++i)
    ts.push_back(
        make("t" + std::to_string(i), kTorchDTypes[i % 12], {i, 3}, static_cast<uint32_t>(i)));
  ts.push_back(make("big", DType::F32, {300, 300}, 99));
  const auto first = wtest::read_bytes(save("a.pt", ts));
  EXPECT_EQ(wtest::read_bytes(save("b.pt", ts)), first);
  EXPECT_EQ(wtest::read_bytes(save("c.pth", ts)), first);
  EXPECT_EQ(save_weights_to_memory(views_of(ts),
                                   [] {
                                     SaveOptions o;
                                     o.format = "pytorch";
                                     return o;
                                   }()),
            first);
  const json report = torch_report({dir_ / "c.pth"});
  expect_torch_file(report["files"][0]);
  expect_tensors(report, ts);
}

TEST_F(PytorchWrite, BinFileIsATorchCheckpoint) {
  const std::vector<Owned> ts = {make("bert.embeddings.word_embeddings.weight", DType::F32, {8, 4}),
                                 make("bert.pooler.dense.bias", DType::F16, {4}, 2)};
  const json report = torch_report({save("pytorch_model.bin", ts)});
  expect_torch_file(report["files"][0]);
  expect_tensors(report, ts);
}

// transformers' layout: pytorch_model-0000i-of-0000N.bin and
// pytorch_model.bin.index.json mapping every tensor to its shard, each shard
// a state dict torch loads.
TEST_F(PytorchWrite, ShardedBinCheckpointIsTransformersLayout) {
  std::vector<Owned> ts;
  for (int i = 0; i < 7; ++i)
    ts.push_back(make("model.layers." + std::to_string(i) + ".mlp.weight",
                      i % 2 ? DType::BF16 : DType::F32, {64, 64}, static_cast<uint32_t>(i)));
  SaveOptions o;
  o.max_shard_bytes = 45'000; // three tensors (16, 8, 16 KiB or 8, 16, 8 KiB) a shard
  save("pytorch_model.bin", ts, o);
  const std::vector<std::string> shards = {"pytorch_model-00001-of-00003.bin",
                                           "pytorch_model-00002-of-00003.bin",
                                           "pytorch_model-00003-of-00003.bin"};
  std::vector<std::string> expected = shards;
  expected.push_back("pytorch_model.bin.index.json");
  ASSERT_EQ(files(), expected);

  const json index = json::parse(wtest::read_text(dir_ / "pytorch_model.bin.index.json"));
  uint64_t total = 0;
  for (const Owned &t : ts)
    total += t.bytes.size();
  EXPECT_EQ(index["metadata"]["total_size"], total);
  ASSERT_EQ(index["weight_map"].size(), ts.size());
  for (size_t i = 0; i < ts.size(); ++i)
    EXPECT_EQ(index["weight_map"][ts[i].name], shards[i / 3]) << ts[i].name;

  std::vector<fs::path> paths;
  for (const auto &s : shards)
    paths.push_back(dir_ / s);
  const json report = torch_report(paths);
  ASSERT_EQ(report["files"].size(), 3u);
  for (const json &f : report["files"])
    expect_torch_file(f);
  expect_tensors(report, ts);
}

TEST_F(PytorchWrite, DtypesTorch113LacksAreRefusedNamingTensorAndDtype) {
  for (const DType d : {DType::U16, DType::U32, DType::U64, DType::F8_E4M3, DType::F8_E5M2,
                        DType::F8_E8M0, DType::F4}) {
    const std::string dtype(dtype_name(d));
    SCOPED_TRACE(dtype);
    const std::vector<Owned> ts = {make("fine", DType::F32, {2}), make("odd.tensor", d, {2, 4}, 2)};
    try {
      save_weights(dir_ / "model.pt", views_of(ts));
      ADD_FAILURE() << "saved a tensor of dtype " << dtype;
    } catch (const UnsupportedError &e) {
      EXPECT_EQ(e.code(), ErrorCode::UnsupportedDType);
      EXPECT_EQ(e.tensor(), "odd.tensor");
      const std::string what = e.what();
      EXPECT_NE(what.find("'odd.tensor'"), std::string::npos) << what;
      EXPECT_NE(what.find(dtype), std::string::npos) << what;
    }
    EXPECT_EQ(files(), std::vector<std::string>{});
  }
}

TEST_F(PytorchWrite, NameThatIsNotUtf8IsRefusedBeforeAnythingIsWritten) {
  const std::vector<Owned> ts = {make("ok", DType::F32, {2}), make("bad\xff", DType::F32, {2})};
  try {
    save_weights(dir_ / "model.pt", views_of(ts));
    ADD_FAILURE() << "saved a name that is not UTF-8";
  } catch (const UnsupportedError &e) {
    EXPECT_EQ(e.code(), ErrorCode::UnsupportedOption);
    EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad\\xff"), std::string::npos) << e.what();
  }
  EXPECT_EQ(files(), std::vector<std::string>{});
}

TEST_F(PytorchWrite, MetadataIsRefusedByTheApi) {
  SaveOptions o;
  o.metadata = {{"format", "pt"}};
  EXPECT_THROW(save_weights(dir_ / "model.pt", views_of({make("w", DType::F32, {2})}), o),
               UnsupportedError);
  EXPECT_EQ(files(), std::vector<std::string>{});
}

TEST_F(PytorchWrite, ConvertDropsMetadataWithAWarningAndWritesTheTensors) {
  const std::vector<Owned> ts = {make("layers.0.weight", DType::F32, {4, 3}),
                                 make("layers.0.bias", DType::BF16, {4}, 2),
                                 make("step", DType::I64, {}, 3)};
  SaveOptions o;
  o.metadata = {{"format", "mlx"}, {"step", "1000"}};
  save_weights(dir_ / "x.safetensors", views_of(ts), o);
  const fs::path out = dir_ / "y.pt";
  const auto r = wcli_test::run_cli({"convert", (dir_ / "x.safetensors").string(), out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("metadata"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("format"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("step"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(out.string()), std::string::npos) << r.err;
  const json report = torch_report({out});
  expect_torch_file(report["files"][0]);
  // The safetensors file holds its tensors sorted (dtype, then name); the
  // .pt file holds them in the order the load gave them.
  std::vector<Owned> in_file_order;
  for (const json &t : report["tensors"])
    for (const Owned &o2 : ts)
      if (o2.name == t["name"])
        in_file_order.push_back(o2);
  expect_tensors(report, in_file_order);
}

} // namespace
