// weightio against the official safetensors library: its files load with the
// values its reader reports, its malformed files are refused with the same
// kind of error, and saving what was loaded reproduces its writer's bytes.
#include "safetensors_reference.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <cstring>

using namespace weightio;
using sttest::Expected;
using wtest::fs::path;

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// Checks a load against the official reader's view of the file.
void expect_matches_reference(const Weights &w, const std::vector<uint8_t> &file,
                              const Expected &e) {
  ASSERT_EQ(file.size(), e.file_len);
  EXPECT_EQ(w.format, "safetensors");
  EXPECT_EQ(w.metadata, e.metadata.value_or(Metadata{}));
  ASSERT_EQ(w.size(), e.tensors.size());
  const uint8_t *first_mapped = nullptr;
  uint64_t first_mapped_begin = 0;
  size_t i = 0;
  for (const auto &[name, t] : w) { // data order
    const auto &x = e.tensors[i++];
    SCOPED_TRACE("tensor #" + std::to_string(i - 1) + " " + x.name);
    EXPECT_EQ(name, x.name);
    EXPECT_EQ(dtype_name(t.dtype()), x.dtype);
    EXPECT_EQ(t.shape(), x.shape);
    ASSERT_EQ(t.nbytes(), x.nbytes);
    ASSERT_EQ(x.end - x.begin, x.nbytes);
    EXPECT_EQ(wtest::sha256_hex(t.data(), t.nbytes()), x.sha256);
    // The bytes are the ones at data_offsets in the file...
    ASSERT_LE(e.data_start + x.end, file.size());
    if (x.nbytes != 0) {
      EXPECT_EQ(std::memcmp(t.data(), file.data() + e.data_start + x.begin, x.nbytes), 0);
    }
    // ...and views sit in the mapping exactly that far apart.
    if (t.is_mapped() && x.nbytes != 0) {
      const auto *p = static_cast<const uint8_t *>(t.data());
      if (first_mapped == nullptr) {
        first_mapped = p;
        first_mapped_begin = x.begin;
      } else {
        EXPECT_EQ(static_cast<uint64_t>(p - first_mapped), x.begin - first_mapped_begin);
      }
    }
    if (x.nbytes != 0) {
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % dtype_alignment(t.dtype()), 0u)
          << "data not aligned for its dtype";
    }
  }
}

class ValidReference : public ::testing::TestWithParam<std::string> {};
class MalformedReference : public ::testing::TestWithParam<std::string> {};
class WriterReference : public ::testing::TestWithParam<std::string> {};

std::string param_name(const ::testing::TestParamInfo<std::string> &info) {
  std::string s = info.param.substr(0, info.param.find('.'));
  for (char &c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return s;
}

std::vector<std::string> valid_files() {
  auto w = sttest::reference_files("w");
  auto h = sttest::reference_files("h");
  w.insert(w.end(), h.begin(), h.end());
  return w;
}

// w07's metadata order was chosen by the official writer's hash map.
std::vector<std::string> deterministic_writer_files() {
  auto w = sttest::reference_files("w");
  std::erase_if(w, [](const std::string &f) { return f.rfind("w07", 0) == 0; });
  return w;
}

} // namespace

TEST(SafetensorsReference, ManifestListsEveryFile) {
  EXPECT_EQ(sttest::reference_files("w").size(), 13u);
  EXPECT_EQ(sttest::reference_files("h").size(), 6u);
  EXPECT_EQ(sttest::reference_files("m").size(), 18u);
}

TEST_P(ValidReference, LoadsAsTheOfficialReaderDoes) {
  const path file = sttest::reference_path(GetParam());
  const Expected e = sttest::expected_for(GetParam());
  ASSERT_TRUE(e.valid);
  const auto bytes = wtest::read_bytes(file);
  const Weights w = load_weights(file);
  expect_matches_reference(w, bytes, e);
}

TEST_P(ValidReference, LoadsFromMemoryToo) {
  const path file = sttest::reference_path(GetParam());
  const Expected e = sttest::expected_for(GetParam());
  const auto bytes = wtest::read_bytes(file);
  LoadOptions opts;
  opts.format = "safetensors";
  const Weights w = load_weights_from_memory(bytes, opts);
  expect_matches_reference(w, bytes, e);
}

INSTANTIATE_TEST_SUITE_P(Safetensors, ValidReference, ::testing::ValuesIn(valid_files()),
                         param_name);

TEST_P(MalformedReference, RefusedWithTheOfficialErrorKind) {
  const path file = sttest::reference_path(GetParam());
  const Expected e = sttest::expected_for(GetParam());
  ASSERT_FALSE(e.valid);
  try {
    (void)load_weights(file);
    FAIL() << GetParam() << " was accepted; the official reader says " << e.error_kind;
  } catch (const FormatError &err) {
    const std::string msg = err.what();
    EXPECT_EQ(err.code(), ErrorCode::InvalidFile) << msg;
    EXPECT_TRUE(contains(msg, GetParam())) << "message does not name the file: " << msg;
    EXPECT_TRUE(contains(msg, sttest::phrase_for_error_kind(e.error_kind)))
        << "official: " << e.error_kind << ": " << e.error << "\nweightio: " << msg;
    // Where the official reader names a tensor, so do we.
    if (auto a = e.error.find('`'); e.error_kind == "InvalidOffset" && a != std::string::npos) {
      const std::string tensor = e.error.substr(a + 1, e.error.find('`', a + 1) - a - 1);
      EXPECT_TRUE(contains(msg, "'" + tensor + "'")) << msg;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Safetensors, MalformedReference,
                         ::testing::ValuesIn(sttest::reference_files("m")), param_name);

TEST_P(WriterReference, SavingWhatWasLoadedGivesTheSameBytes) {
  const path file = sttest::reference_path(GetParam());
  const auto original = wtest::read_bytes(file);
  const Weights w = load_weights(file);
  SaveOptions opts;
  opts.metadata = w.metadata;

  wtest::TempDir dir;
  save_weights(dir / "again.safetensors", w.views(), opts);
  EXPECT_EQ(wtest::read_bytes(dir / "again.safetensors"), original);

  opts.format = "safetensors";
  EXPECT_EQ(save_weights_to_memory(w.views(), opts), original);
}

TEST_P(WriterReference, HostOrderDoesNotMatter) {
  const path file = sttest::reference_path(GetParam());
  const auto original = wtest::read_bytes(file);
  const Weights w = load_weights(file);
  FlatParams reversed;
  const FlatParams views = w.views();
  for (auto it = views.end(); it != views.begin();) {
    --it;
    reversed.emplace(it->first, it->second);
  }
  SaveOptions opts;
  opts.format = "safetensors";
  opts.metadata = w.metadata;
  EXPECT_EQ(save_weights_to_memory(reversed, opts), original);
}

INSTANTIATE_TEST_SUITE_P(Safetensors, WriterReference,
                         ::testing::ValuesIn(deterministic_writer_files()), param_name);

// w07: the official writer's metadata order is random; ours is sorted, so the
// bytes differ only by a permutation inside "__metadata__".
TEST(SafetensorsWriter, MultiKeyMetadataIsSortedNotShuffled) {
  const path file = sttest::reference_path("w07_metadata_multi.safetensors");
  const Expected e = sttest::expected_for("w07_metadata_multi.safetensors");
  const auto original = wtest::read_bytes(file);
  const Weights w = load_weights(file);
  SaveOptions opts;
  opts.format = "safetensors";
  opts.metadata = w.metadata;
  const auto ours = save_weights_to_memory(w.views(), opts);
  ASSERT_EQ(ours.size(), original.size());
  EXPECT_TRUE(std::equal(ours.begin(), ours.begin() + 8, original.begin())); // same length N
  EXPECT_TRUE(std::equal(ours.begin() + static_cast<long>(e.data_start), ours.end(),
                         original.begin() + static_cast<long>(e.data_start)));
  std::string header(ours.begin() + 8, ours.begin() + static_cast<long>(e.data_start));
  std::string theirs(original.begin() + 8, original.begin() + static_cast<long>(e.data_start));
  EXPECT_TRUE(std::is_permutation(header.begin(), header.end(), theirs.begin()));
  // Keys in bytewise order: "empty" < "format" < "json_like" < "newline" < "ünï".
  size_t last = 0;
  for (const char *key :
       {"\"empty\"", "\"format\"", "\"json_like\"", "\"newline\"", "\"\xC3\xBCn"}) {
    const size_t at = header.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    EXPECT_GT(at, last) << key;
    last = at;
  }
  LoadOptions load;
  load.format = "safetensors";
  const Weights again = load_weights_from_memory(ours, load);
  EXPECT_EQ(again.metadata, *e.metadata);
}
