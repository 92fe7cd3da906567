// Archives crafted to break a reader (npz_make_hostile.py) and archives made
// by MLX's rules (npz_make_mlx_style.py), plus the host's read limits.
#include "npz_test_util.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

using namespace weightio;
using namespace npztest;

namespace {

struct Hostile {
  std::string file;
  std::string member; // empty: an archive-level problem
  std::string reason; // text the message must hold
};

const std::vector<Hostile> kHostile = {
    {"bomb_declared_size.npz", "bomb.npy", "more than deflate can produce"},
    {"inflates_past_declared.npz", "long.npy", "more than its declared size"},
    {"inflates_short.npz", "short.npy", "less than its declared"},
    {"corrupt_deflate.npz", "bad.npy", "corrupt deflate data"},
    {"overlapping_members.npz", "b.npy", "overlaps member 'a.npy'"},
    {"local_header_outside.npz", "a.npy", "outside the archive"},
    {"data_past_end.npz", "a.npy", "runs past the end"},
    {"directory_outside.npz", "", "central directory lies outside the file"},
    {"not_npy_member.npz", "readme.txt", "not an .npy file"},
    {"encrypted_member.npz", "a.npy", "encrypted"},
    {"bzip2_member.npz", "a.npy", "unsupported compression method 12"},
    {"header_not_literal.npz", "a.npy", "not a string literal"},
    {"header_extra_key.npz", "a.npy", "unexpected key 'x'"},
    {"header_list_shape.npz", "a.npy", "expected '('"},
    {"npy_version_9.npz", "a.npy", "unsupported npy format version 9.0"},
    {"header_past_member.npz", "a.npy", "runs past the end of the member"},
    {"trailing_data.npz", "a.npy", "trailing bytes"},
    {"structured_dtype.npz", "a.npy", "structured dtype"},
};

TEST(NpzHostile, CraftedArchivesAreRefusedWithMemberAndReason) {
  wtest::TempDir dir;
  auto made = wtest::run_python(wtest::python_script("npz_make_hostile.py"), {dir.path().string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  for (const auto &h : kHostile) {
    SCOPED_TRACE(h.file);
    const auto path = dir / h.file;
    ASSERT_TRUE(wtest::fs::exists(path));
    LoadOptions o;
    o.limits.max_alloc_bytes = 1 << 20; // nothing here may need more
    npztest::expect_refused(path, o, h.member, h.reason);
  }
}

TEST(NpzHostile, MlxStyleFilesLoad) {
  wtest::TempDir dir;
  auto made =
      wtest::run_python(wtest::python_script("npz_make_mlx_style.py"), {dir.path().string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto rows = read_tsv(dir / "expected.tsv");
  ASSERT_EQ(rows.size(), 16u);
  std::string loaded_file;
  Weights w;
  size_t index = 0;
  for (const auto &r : rows) {
    SCOPED_TRACE(r.at(0) + " " + r.at(1));
    if (r.at(0) != loaded_file) {
      loaded_file = r.at(0);
      w = load_weights(dir / loaded_file);
      index = 0;
    }
    ASSERT_LT(index, w.size());
    auto it = w.begin() + static_cast<long>(index++);
    EXPECT_EQ(it->first, r.at(1));
    EXPECT_EQ(dtype_name(it->second.dtype()), r.at(2));
    EXPECT_EQ(it->second.shape(), parse_shape(r.at(3)));
    EXPECT_EQ(sha(it->second), r.at(4));
  }
}

FormatError expect_format_error(const wtest::fs::path &p, const LoadOptions &o) {
  try {
    load_weights(p, o);
  } catch (const FormatError &e) {
    return e;
  }
  ADD_FAILURE() << p << " loaded despite the limit";
  return FormatError(ErrorCode::InvalidFile, "");
}

TEST(NpzHostile, ReadLimitsAreHonoured) {
  {
    LoadOptions o;
    o.limits.max_tensors = 100;
    auto e = expect_format_error(wtest::data_path("npz/n08_many_2000.npz"), o);
    EXPECT_TRUE(contains(e.what(), "member count 2000 is over the limit 100 (max_tensors)"))
        << e.what();
    EXPECT_EQ(e.limit(), "max_tensors");
  }
  {
    LoadOptions o;
    o.limits.max_header_bytes = 10000; // the 2000-entry central directory is larger
    auto e = expect_format_error(wtest::data_path("npz/n08_many_2000.npz"), o);
    EXPECT_TRUE(contains(e.what(), "central directory bytes ")) << e.what();
    EXPECT_TRUE(contains(e.what(), " is over the limit 10000 (max_header_bytes)")) << e.what();
    EXPECT_EQ(e.limit(), "max_header_bytes");
  }
  {
    LoadOptions o;
    o.limits.max_ndim = 8;
    auto e = expect_format_error(wtest::data_path("npz/n07_many_dims.npz"), o);
    EXPECT_TRUE(contains(e.what(), "member 'long_shape.npy'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "dimension count 9 is over the limit 8 (max_ndim)")) << e.what();
    EXPECT_EQ(e.limit(), "max_ndim");
  }
  {
    LoadOptions o;
    o.limits.max_name_bytes = 8;
    auto e = expect_format_error(wtest::data_path("npz/n03_nested_names.npz"), o);
    EXPECT_TRUE(contains(e.what(), ": name bytes ")) << e.what();
    EXPECT_TRUE(contains(e.what(), " is over the limit 8 (max_name_bytes)")) << e.what();
    EXPECT_EQ(e.limit(), "max_name_bytes");
  }
  {
    LoadOptions o;
    // One member: a 60-byte central directory, but a 192-byte npy header.
    o.limits.max_header_bytes = 150;
    auto e = expect_format_error(wtest::data_path("npz/n07_many_dims.npz"), o);
    EXPECT_TRUE(contains(e.what(), "member 'long_shape.npy'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "npy header bytes 192 is over the limit 150 (max_header_bytes)"))
        << e.what();
    EXPECT_EQ(e.limit(), "max_header_bytes");
  }
  {
    // Deflated members must be inflated into memory; the host refuses.
    LoadOptions o;
    o.limits.max_alloc_bytes = 1000;
    EXPECT_THROW(load_weights(wtest::data_path("npz/n04_compressed.npz"), o), Error);
  }
}

} // namespace
