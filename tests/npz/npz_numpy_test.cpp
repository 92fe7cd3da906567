// weightio's .npz files against numpy: every member is byte-for-byte what
// numpy.save writes for the same array, numpy.load reads every file weightio
// writes (stored, deflated, ZIP64, non-ASCII names, BF16) with equal values,
// and Info-ZIP's `unzip -t` accepts them.
#include "npz_test_util.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <deque>
#include <fstream>

// These tests also check that the deprecated SaveOptions::force_zip64 keeps
// working as format_options["zip64"] does.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

using namespace weightio;
using namespace npztest;

namespace {

void expect_python_ok(const std::string &script, const std::vector<std::string> &args) {
  auto r = wtest::run_python(wtest::python_script(script), args);
  EXPECT_EQ(r.exit_code, 0) << script << ":\n" << r.out << r.err;
}

void expect_unzip_ok(const wtest::fs::path &file) {
  auto r = wtest::run_command({"unzip", "-t", file.string()});
  EXPECT_EQ(r.exit_code, 0) << "unzip -t " << file << ":\n" << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "No errors detected")) << r.out;
}

struct Variant {
  std::string file;
  SaveOptions options;
};

std::vector<Variant> variants() {
  std::vector<Variant> v(5);
  v[0].file = "stored.npz";
  v[1].file = "compressed_default.npz";
  v[1].options.compression = -1;
  v[2].file = "compressed_level1.npz";
  v[2].options.compression = 1;
  v[3].file = "zip64_stored.npz";
  v[3].options.force_zip64 = true;
  v[4].file = "zip64_compressed.npz";
  v[4].options.force_zip64 = true;
  v[4].options.compression = 9;
  for (auto &x : v)
    x.options.durable = false;
  return v;
}

// numpy.save output for every dtype numpy has and many shapes (made by
// npz_make_arrays.py); weightio saves the same arrays and every member must
// equal numpy's file byte for byte.
TEST(NpzNumpy, MembersAreByteIdenticalToNumpySave) {
  wtest::TempDir dir;
  const auto ref = dir / "ref";
  auto made = wtest::run_python(wtest::python_script("npz_make_arrays.py"), {ref.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;

  std::deque<std::vector<uint8_t>> files; // keeps the tensors' bytes alive
  FlatParams params;
  const auto cases = read_tsv(ref / "cases.tsv");
  ASSERT_GT(cases.size(), 100u);
  for (const auto &c : cases) {
    const DType dtype = *dtype_from_name(c.at(1));
    const Shape shape = parse_shape(c.at(2));
    files.push_back(wtest::read_bytes(ref / (c.at(0) + ".npy")));
    const auto &bytes = files.back();
    const uint64_t nbytes = shape_nbytes(dtype, shape);
    ASSERT_GE(bytes.size(), nbytes);
    // numpy.save puts the data last; the header before it is numpy's.
    params.emplace(c.at(0), TensorView(dtype, shape, bytes.data() + bytes.size() - nbytes));
  }
  for (const auto &v : variants()) {
    SCOPED_TRACE(v.file);
    const auto out = dir / v.file;
    save_weights(out, params, v.options);
    expect_python_ok("npz_check_members.py", {out.string(), ref.string()});
    expect_unzip_ok(out);
  }
}

// Expectations come from the tensors handed to save_weights, never from
// what weightio wrote.
void write_expectations(const wtest::fs::path &file, const FlatParams &params) {
  std::ofstream out(file);
  for (const auto &[name, t] : params)
    out << name << '\t' << numpy_descr(t.dtype()) << '\t' << shape_text(t.shape()) << '\t' << sha(t)
        << '\n';
}

TEST(NpzNumpy, NumpyLoadsWhatWeightioWrites) {
  RandomParams p;
  for (DType d : npz_dtypes()) {
    const std::string n(dtype_name(d));
    p.add("model.layers.0." + n, d, {3, 5});
    p.add("scalar." + n, d, {});
    p.add("empty." + n, d, {0, 4});
  }
  p.add("émbed.权重", DType::F32, {2, 2});
  p.add("naïve/ünïcödé 😀", DType::BF16, {4});
  p.add("big", DType::F32, {257, 129});
  const FlatParams &params = p.flat;

  wtest::TempDir dir;
  write_expectations(dir / "expected.tsv", params);
  for (const auto &v : variants()) {
    SCOPED_TRACE(v.file);
    const auto out = dir / v.file;
    save_weights(out, params, v.options);
    expect_python_ok("npz_numpy_load_check.py", {out.string(), (dir / "expected.tsv").string()});
    expect_unzip_ok(out);
  }
}

// A stored save over 4 MiB is made on a helper thread: small members are
// checksummed before their header, large ones (from 256 KiB) as they are
// copied, their CRC patched into the header afterwards; slots end
// mid-member. numpy (which checks every CRC) must read it all back.
TEST(NpzNumpy, NumpyLoadsALargeStoredSave) {
  RandomParams p;
  p.seed = 1000;
  for (int i = 0; i < 1500; ++i) // 1 to ~3000 elements: headers cross slots
    p.add("layers." + std::to_string(i) + ".w", i % 3 ? DType::F32 : DType::I8,
          {static_cast<int64_t>(1 + (i * 7919) % 3000)});
  p.add("layers.edge.at_threshold", DType::U8, {256 << 10});
  p.add("layers.edge.below_threshold", DType::U8, {(256 << 10) - 1});
  p.add("zz.embed", DType::F32, {1 << 20, 5}); // 20 MiB: many slots
  const FlatParams &params = p.flat;
  wtest::TempDir dir;
  write_expectations(dir / "expected.tsv", params);
  for (bool zip64 : {false, true}) {
    SCOPED_TRACE(zip64 ? "zip64" : "classic");
    SaveOptions o;
    o.durable = false;
    o.force_zip64 = zip64;
    save_weights(dir / "large.npz", params, o);
    expect_python_ok("npz_numpy_load_check.py",
                     {(dir / "large.npz").string(), (dir / "expected.tsv").string()});
    expect_unzip_ok(dir / "large.npz");
  }
}

// A header over 65535 bytes needs npy version 2.0. numpy cannot make such an
// array (32 dimensions at most), so the check regenerates the header with
// numpy's own _write_array_header for the shape weightio was given.
TEST(NpzNumpy, HugeHeaderUsesVersion2AsNumpyWould) {
  const Shape shape(30000, 1); // "1, " per extent: over 65535 bytes
  const float value = 1.5f;
  FlatParams params;
  params.emplace("deep", TensorView(DType::F32, shape, &value));
  wtest::TempDir dir;
  SaveOptions o;
  o.durable = false;
  save_weights(dir / "deep.npz", params, o);
  expect_python_ok("npz_check_header.py",
                   {(dir / "deep.npz").string(), "deep.npy", "<f4", std::to_string(shape.size())});
  LoadOptions lo;
  lo.limits.max_ndim = 30000;
  auto w = load_weights(dir / "deep.npz", lo);
  EXPECT_EQ(w.at("deep").shape(), shape);
  EXPECT_EQ(*w.at("deep").data<float>(), value);
  lo.limits.max_ndim = 64;
  EXPECT_THROW(load_weights(dir / "deep.npz", lo), FormatError);
}

} // namespace
