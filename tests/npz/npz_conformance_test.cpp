// The reference files in tests/data/npz (written by numpy 1.24, see
// MANIFEST.tsv and shared/conformance/README.md): every n* file loads with
// the names, dtypes, shapes and values numpy reports; every e* file is
// refused with a FormatError naming the file, the member and the problem.
#include "npz_test_util.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

using namespace weightio;
using namespace npztest;

namespace {

struct ManifestRow {
  std::string file;
  bool valid;
  nlohmann::json expected;
};

std::vector<ManifestRow> manifest() {
  std::vector<ManifestRow> rows;
  auto tsv = read_tsv(wtest::data_path("npz/MANIFEST.tsv"));
  for (size_t i = 1; i < tsv.size(); ++i) { // row 0 is the column names
    const auto &r = tsv[i];
    ManifestRow m{r.at(0), r.at(1) == "valid", nullptr};
    if (m.valid)
      m.expected = nlohmann::json::parse(r.at(4));
    rows.push_back(std::move(m));
  }
  return rows;
}

// The dtype numpy's descr names, ignoring byte order.
DType dtype_of_descr(const std::string &descr) {
  const std::string code = descr.substr(1);
  for (DType d : npz_dtypes())
    if (numpy_descr(d).substr(1) == code)
      return d;
  throw std::runtime_error("descr " + descr + " not in the test's table");
}

// The manifest hashes big-endian members' bytes as numpy holds them; our
// tensors are little-endian, so swap a copy back before hashing.
std::string sha_as_stored(const Tensor &t, const std::string &descr) {
  if (descr[0] != '>')
    return sha(t);
  std::vector<uint8_t> b(static_cast<const uint8_t *>(t.data()),
                         static_cast<const uint8_t *>(t.data()) + t.nbytes());
  size_t unit = dtype_bits(t.dtype()) / 8;
  if (t.dtype() == DType::C64 || t.dtype() == DType::C128)
    unit /= 2;
  for (size_t i = 0; i + unit <= b.size(); i += unit)
    std::reverse(b.begin() + static_cast<long>(i), b.begin() + static_cast<long>(i + unit));
  return wtest::sha256_hex(b.data(), b.size());
}

void expect_manifest_values(const Weights &w, const nlohmann::json &expected) {
  EXPECT_EQ(w.format, "npz");
  ASSERT_EQ(w.size(), expected.size());
  size_t i = 0;
  for (const auto &[name, t] : w) { // savez writes members in dict order
    const auto &x = expected[i++];
    SCOPED_TRACE(x.dump());
    EXPECT_EQ(name, x["name"].get<std::string>());
    const std::string descr = x["descr"];
    EXPECT_EQ(t.dtype(), dtype_of_descr(descr));
    EXPECT_EQ(t.shape(), x["shape"].get<Shape>());
    EXPECT_EQ(sha_as_stored(t, descr), x["sha256_c_order"].get<std::string>());
    if (t.nbytes() != 0) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % dtype_alignment(t.dtype()), 0u);
    }
  }
}

TEST(NpzConformance, ManifestListsEveryFile) {
  auto rows = manifest();
  EXPECT_EQ(std::count_if(rows.begin(), rows.end(), [](auto &r) { return r.valid; }), 9);
  EXPECT_EQ(std::count_if(rows.begin(), rows.end(), [](auto &r) { return !r.valid; }), 8);
}

TEST(NpzConformance, NumpyFilesLoadWithManifestValues) {
  for (const auto &row : manifest()) {
    if (!row.valid)
      continue;
    SCOPED_TRACE(row.file);
    const auto path = wtest::data_path("npz/" + row.file);
    expect_manifest_values(load_weights(path), row.expected);
    LoadOptions read;
    read.read_into_memory = true;
    read.verify = true;
    expect_manifest_values(load_weights(path, read), row.expected);
  }
}

TEST(NpzConformance, FortranMemberComesBackInCOrder) {
  auto w = load_weights(wtest::data_path("npz/n05_fortran_order.npz"));
  const Tensor &f = w.at("f"), &c = w.at("c");
  ASSERT_EQ(f.nbytes(), c.nbytes());
  EXPECT_EQ(std::memcmp(f.data(), c.data(), f.nbytes()), 0);
  EXPECT_FALSE(f.is_mapped()); // transposed into a buffer
}

TEST(NpzConformance, BigEndianMembersComeBackLittleEndian) {
  auto w = load_weights(wtest::data_path("npz/n06_big_endian.npz"));
  const auto *i8 = w.at("be_i8").data<int64_t>(); // numpy: np.arange(4).astype('>i8')
  for (int64_t k = 0; k < 4; ++k)
    EXPECT_EQ(i8[k], k);
  const auto *f8 = w.at("le_f8").data<double>(); // np.arange(3.0)
  for (int k = 0; k < 3; ++k)
    EXPECT_EQ(f8[k], k);
}

TEST(NpzConformance, OnlyLoadsTheNamesAskedFor) {
  LoadOptions o;
  o.only = {"z", "i"};
  auto w = load_weights(wtest::data_path("npz/n04_compressed.npz"), o);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_TRUE(w.contains("z"));
  EXPECT_EQ(w.at("i").data<int64_t>()[999], 999);
}

struct Refusal {
  std::string file;
  std::string member; // empty: an archive-level problem
  std::string reason; // a word the message must hold
};

// Members and problems as make_npz_vectors.py crafted them.
const std::vector<Refusal> kRefusals = {
    {"e01_truncated.npz", "", "zip"},
    {"e02_not_zip.npz", "", "zip"},
    {"e03_empty.npz", "", "empty"},
    {"e04_object_array.npz", "obj.npy", "pickled"},
    {"e05_bad_crc.npz", "u8.npy", "CRC-32 mismatch"},
    {"e06_short_data.npz", "a.npy", "short data"},
    {"e07_bad_magic.npz", "a.npy", "not an npy file"},
    {"e08_header_code.npz", "a.npy", "literal"},
};

TEST(NpzConformance, InvalidFilesAreRefusedWithFileMemberAndReason) {
  size_t invalid = 0;
  for (const auto &row : manifest())
    invalid += !row.valid;
  ASSERT_EQ(invalid, kRefusals.size());
  for (const auto &r : kRefusals) {
    SCOPED_TRACE(r.file);
    const auto path = wtest::data_path("npz/" + r.file);
    for (bool verify : {false, true}) {
      LoadOptions o;
      o.verify = verify;
      o.format = "npz"; // e02/e03 would otherwise fail the probe, not the reader
      npztest::expect_refused(path, o, r.member, r.reason);
    }
  }
}

TEST(NpzConformance, CorruptMemberSkippedOnlyWithoutVerify) {
  // e05's corruption is in member u8; a load of b alone does not read it...
  LoadOptions o;
  o.only = {"b"};
  auto w = load_weights(wtest::data_path("npz/e05_bad_crc.npz"), o);
  EXPECT_EQ(w.size(), 1u);
  // ...but verify checks every member's CRC.
  o.verify = true;
  EXPECT_THROW(load_weights(wtest::data_path("npz/e05_bad_crc.npz"), o), FormatError);
}

} // namespace
