// ABI 3's storages and strided placement through a real plugin binary
// ("stv", tests/plugins/stv_plugin.cpp, whose files spell out each
// descriptor): the host gathers strided views of a storage in C order (on
// several threads, from a map or a read file), byte-swaps big-endian
// sources, reports each tensor's storage, and refuses a descriptor whose
// elements or storage lie where the ABI forbids. Expected values are
// computed here from the storage's formula, not by the code under test.
#include "plugin_fixture.hpp"
#include "stv_file.hpp"
#include "test_support.hpp"

#include <weightio/plugin_abi.h>
#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <cstring>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

using wtest::Desc;
using wtest::floats;
using wtest::stv;

std::vector<float> values(const Tensor &t) {
  std::vector<float> out(t.nbytes() / 4);
  std::memcpy(out.data(), t.data(), t.nbytes());
  return out;
}

fs::path written(const wtest::TempDir &dir, const std::string &name,
                 const std::vector<uint8_t> &bytes) {
  wtest::load_test_plugin("stv");
  const fs::path p = dir / name;
  wtest::write_bytes(p, bytes);
  return p;
}

// A 3x4 storage of the floats 0..11, and views of it.
std::vector<Desc> views_of_3x4() {
  const uint64_t size = 48;
  return {
      {"transposed", WIO_DTYPE_F32, {4, 3}, {1, 4}, WIO_STORAGE_STRIDED, 0, 0, 0, 1, 0, size, 48},
      {"even_rows", WIO_DTYPE_F32, {2, 4}, {8, 1}, WIO_STORAGE_STRIDED, 0, 0, 0, 1, 0, size, 32},
      {"expanded", WIO_DTYPE_F32, {3, 4}, {0, 1}, WIO_STORAGE_STRIDED, 0, 0, 4, 1, 0, size, 48},
      {"column", WIO_DTYPE_F32, {3}, {4}, WIO_STORAGE_STRIDED, 0, 0, 2, 1, 0, size, 12},
      {"scalar", WIO_DTYPE_F32, {}, {}, WIO_STORAGE_STRIDED, 0, 0, 7, 1, 0, size, 4},
      {"empty", WIO_DTYPE_F32, {0, 3}, {3, 1}, WIO_STORAGE_STRIDED, 0, 0, 12, 1, 0, size, 0},
      {"whole", WIO_DTYPE_F32, {3, 4}, {}, WIO_STORAGE_MAPPED, 0, 0, 0, 1, 0, size, 48},
      {"other", WIO_DTYPE_F32, {2}, {}, WIO_STORAGE_MAPPED, 0, 48, 0, 2, 48, 8, 8},
  };
}

void expect_views(const Weights &w) {
  // storage[i][j] = 4i + j
  std::vector<float> t;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j)
      t.push_back(static_cast<float>(4 * j + i));
  EXPECT_EQ(values(w.at("transposed")), t);
  EXPECT_EQ(values(w.at("even_rows")), (std::vector<float>{0, 1, 2, 3, 8, 9, 10, 11}));
  EXPECT_EQ(values(w.at("expanded")), (std::vector<float>{4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7}));
  EXPECT_EQ(values(w.at("column")), (std::vector<float>{2, 6, 10}));
  EXPECT_EQ(values(w.at("scalar")), std::vector<float>{7});
  EXPECT_EQ(w.at("empty").nbytes(), 0u);
  EXPECT_EQ(w.at("empty").shape(), (Shape{0, 3}));
  EXPECT_EQ(values(w.at("other")), (std::vector<float>{12, 13}));
}

} // namespace

TEST(StoragePlacement, StridedViewsAreGatheredInCOrder) {
  wtest::TempDir dir;
  const fs::path p = written(dir, "v.stv", stv(views_of_3x4(), floats(14)));
  const Weights w = load_weights(p);
  expect_views(w);
  EXPECT_EQ(w.at("transposed").placement(), Placement::gathered);
  EXPECT_EQ(w.at("whole").placement(), Placement::mapped);
}

TEST(StoragePlacement, ReadIntoMemoryAndOneThreadGatherTheSame) {
  wtest::TempDir dir;
  const fs::path p = written(dir, "v.stv", stv(views_of_3x4(), floats(14)));
  LoadOptions o;
  o.read_into_memory = true;
  o.threads = 1;
  expect_views(load_weights(p, o));
}

TEST(StoragePlacement, TensorsReportTheirStorageInTheApiAndInspectJson) {
  wtest::TempDir dir;
  const fs::path p = written(dir, "v.stv", stv(views_of_3x4(), floats(14)));
  const Weights w = load_weights(p);
  EXPECT_EQ(w.at("transposed").storage(), 1u);
  EXPECT_EQ(w.at("whole").storage(), 1u);
  EXPECT_EQ(w.at("other").storage(), 2u);
  LoadOptions d;
  d.describe_only = true;
  EXPECT_EQ(load_weights(p, d).at("expanded").storage(), 1u);
  const auto r = wtest::run_command({WEIGHTIO_CLI, "inspect", p.string(), "--json"},
                                    {"WEIGHTIO_PLUGIN_PATH=" + wtest::test_plugin("stv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(
      r.out.find(R"("name":"transposed","dtype":"F32","shape":[4,3],"nbytes":48,"storage":1)"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("name":"other","dtype":"F32","shape":[2],"nbytes":8,"storage":2)"),
            std::string::npos)
      << r.out;
}

TEST(StoragePlacement, ALargeTransposeIsGatheredAcrossThreadsExactly) {
  // 1024 x 2048 floats (8 MiB, several parts of the host's work) read as
  // their transpose.
  const int64_t rows = 1024, cols = 2048;
  Desc d{"t",
         WIO_DTYPE_F32,
         {cols, rows},
         {1, cols},
         WIO_STORAGE_STRIDED,
         0,
         0,
         0,
         1,
         0,
         uint64_t(rows * cols * 4),
         uint64_t(rows * cols * 4)};
  wtest::TempDir dir;
  const fs::path p = written(dir, "big.stv", stv({d}, floats(size_t(rows * cols))));
  LoadOptions o;
  o.threads = 4;
  const std::vector<float> v = values(load_weights(p, o).at("t"));
  size_t wrong = 0;
  for (int64_t j = 0; j < cols; ++j)
    for (int64_t i = 0; i < rows; ++i)
      wrong += v[size_t(j * rows + i)] != static_cast<float>(i * cols + j);
  EXPECT_EQ(wrong, 0u);
}

TEST(StoragePlacement, BigEndianSourcesAreSwappedPerNumber) {
  // u16 0x0102 stored big-endian; f32 1.5 big-endian; c64 (1.5, -2) with
  // each half big-endian, viewed strided (every other element).
  std::vector<uint8_t> data = {0x01, 0x02, 0x03, 0x04};
  for (float f : {1.5f, 1.5f, -2.0f, 9.0f, 9.0f}) {
    uint8_t b[4];
    std::memcpy(b, &f, 4);
    data.insert(data.end(), {b[3], b[2], b[1], b[0]});
  }
  // data: [0..4) two u16; [4..8) f32 1.5; [8..24) c64 pair (1.5,-2) then (9, 9)
  std::vector<Desc> descs = {
      {"u16", WIO_DTYPE_U16, {2}, {}, WIO_STORAGE_MAPPED, WIO_TENSOR_BYTE_SWAP, 0, 0, 1, 0, 4, 4},
      {"f32", WIO_DTYPE_F32, {}, {}, WIO_STORAGE_MAPPED, WIO_TENSOR_BYTE_SWAP, 4, 0, 2, 4, 4, 4},
      {"c64",
       WIO_DTYPE_C64,
       {1},
       {2},
       WIO_STORAGE_STRIDED,
       WIO_TENSOR_BYTE_SWAP,
       0,
       0,
       3,
       8,
       16,
       8},
  };
  wtest::TempDir dir;
  const Weights w = load_weights(written(dir, "be.stv", stv(descs, data)));
  const auto *u = w.at("u16").data<uint16_t>();
  EXPECT_EQ(u[0], 0x0102);
  EXPECT_EQ(u[1], 0x0304);
  EXPECT_EQ(w.at("u16").placement(), Placement::decoded);
  EXPECT_EQ(*w.at("f32").data<float>(), 1.5f);
  EXPECT_EQ(values(w.at("c64")), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(w.at("c64").placement(), Placement::gathered);
}

TEST(StoragePlacement, TheHostRefusesDescriptorsOutsideTheirStorage) {
  struct Case {
    const char *what;
    Desc d;
    const char *says;
  };
  const uint64_t s = 48;
  const std::vector<Case> cases = {
      {"last element past the storage",
       {"x", WIO_DTYPE_F32, {4, 3}, {1, 5}, WIO_STORAGE_STRIDED, 0, 0, 0, 1, 0, s, 48},
       "whose elements lie past its storage's 12"},
      {"element offset past the end of an empty view",
       {"x", WIO_DTYPE_F32, {0}, {1}, WIO_STORAGE_STRIDED, 0, 0, 13, 1, 0, s, 0},
       "whose elements lie past its storage's 12"},
      {"overflowing strides",
       {"x", WIO_DTYPE_F32, {3}, {INT64_MAX}, WIO_STORAGE_STRIDED, 0, 0, 0, 1, 0, s, 12},
       "whose elements lie past"},
      {"negative stride",
       {"x", WIO_DTYPE_F32, {2}, {-1}, WIO_STORAGE_STRIDED, 0, 0, 5, 1, 0, s, 8},
       "with a negative stride"},
      {"no storage",
       {"x", WIO_DTYPE_F32, {2}, {1}, WIO_STORAGE_STRIDED, 0, 0, 0, 0, 0, s, 8},
       "without a storage"},
      {"storage outside the file",
       {"x", WIO_DTYPE_F32, {2}, {1}, WIO_STORAGE_STRIDED, 0, 0, 0, 1, 0, 1 << 20, 8},
       "outside the file"},
      {"sub-byte elements",
       {"x", WIO_DTYPE_F4, {2}, {1}, WIO_STORAGE_STRIDED, 0, 0, 0, 1, 0, s, 1},
       "without whole-byte elements"},
      {"mapped outside its storage",
       {"x", WIO_DTYPE_F32, {4}, {}, WIO_STORAGE_MAPPED, 0, 40, 0, 1, 0, s, 16},
       "outside its declared storage"},
  };
  wtest::TempDir dir;
  for (const auto &c : cases) {
    const fs::path p = written(dir, "bad.stv", stv({c.d}, floats(14)));
    try {
      (void)load_weights(p);
      ADD_FAILURE() << c.what << ": loaded";
    } catch (const PluginError &e) {
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos)
          << c.what << ": " << e.what();
      EXPECT_EQ(e.tensor(), "x") << c.what;
    }
  }
}

TEST(StoragePlacement, OneStorageIdWithTwoRangesIsRefused) {
  std::vector<Desc> descs = {
      {"a", WIO_DTYPE_F32, {2}, {}, WIO_STORAGE_MAPPED, 0, 0, 0, 1, 0, 8, 8},
      {"b", WIO_DTYPE_F32, {2}, {}, WIO_STORAGE_MAPPED, 0, 0, 0, 1, 0, 16, 8},
  };
  wtest::TempDir dir;
  EXPECT_THROW(
      {
        try {
          (void)load_weights(written(dir, "two.stv", stv(descs, floats(4))));
        } catch (const PluginError &e) {
          EXPECT_NE(std::string(e.what()).find("declared storage 1 of tensor 'b' with another "
                                               "byte range"),
                    std::string::npos)
              << e.what();
          throw;
        }
      },
      PluginError);
}
