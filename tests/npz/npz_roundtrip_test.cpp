// weightio -> weightio through .npz: every dtype npz holds (BF16 included),
// stored and deflated, with and without forced ZIP64; stored members come
// back as zero-copy views; saves are deterministic; dtypes npz cannot hold
// are refused before anything is written.
#include "npz_test_util.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <deque>

// These tests also check that the deprecated SaveOptions::force_zip64 keeps
// working as format_options["zip64"] does.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

using namespace weightio;
using namespace npztest;

namespace {

using Params = RandomParams;

Params every_dtype() {
  Params p;
  uint32_t seed = 10;
  for (DType d : npz_dtypes()) {
    const std::string n(dtype_name(d));
    p.add("w." + n, d, {7, 3}, seed++);
    p.add("s." + n, d, {}, seed++);
    p.add("e." + n, d, {2, 0, 3}, seed++);
    p.add("v." + n, d, {1001}, seed++);
  }
  p.add("layers.0.émbed.权重", DType::BF16, {4, 4}, seed++);
  return p;
}

void expect_same(const FlatParams &in, const Weights &out) {
  ASSERT_EQ(out.size(), in.size());
  auto it = out.begin();
  for (const auto &[name, t] : in) { // members in the order given
    SCOPED_TRACE(name);
    EXPECT_EQ(it->first, name);
    EXPECT_EQ(it->second.dtype(), t.dtype());
    EXPECT_EQ(it->second.shape(), t.shape());
    ASSERT_EQ(it->second.nbytes(), t.nbytes());
    if (t.nbytes() != 0) {
      EXPECT_EQ(std::memcmp(it->second.data(), t.data(), t.nbytes()), 0);
    }
    ++it;
  }
}

TEST(NpzRoundTrip, EveryDtypeEveryContainerVariant) {
  const Params p = every_dtype();
  wtest::TempDir dir;
  for (int level : {0, -1, 1, 6, 9}) {
    for (bool zip64 : {false, true}) {
      SCOPED_TRACE("level " + std::to_string(level) + (zip64 ? " zip64" : ""));
      SaveOptions o;
      o.compression = level;
      o.force_zip64 = zip64;
      o.durable = false;
      const auto file = dir / "rt.npz";
      save_weights(file, p.flat, o);
      for (bool in_memory : {false, true}) {
        LoadOptions lo;
        lo.read_into_memory = in_memory;
        lo.verify = true;
        auto w = load_weights(file, lo);
        EXPECT_EQ(w.format, "npz");
        expect_same(p.flat, w);
        // Stored members' data is 64-byte aligned in the file: every one
        // with bytes is a view into the map, not a copy.
        if (level == 0 && !in_memory)
          for (const auto &[name, t] : w) {
            if (t.nbytes() != 0) {
              EXPECT_TRUE(t.is_mapped()) << name;
            }
          }
      }
    }
  }
}

TEST(NpzRoundTrip, InMemorySaveAndLoad) {
  const Params p = every_dtype();
  SaveOptions o;
  o.format = "npz";
  o.compression = -1;
  auto bytes = save_weights_to_memory(p.flat, o);
  LoadOptions lo;
  lo.format = "npz";
  expect_same(p.flat, load_weights_from_memory(bytes, lo));
  lo.format.clear(); // found by probing the bytes
  expect_same(p.flat, load_weights_from_memory(bytes, lo));
}

TEST(NpzRoundTrip, SameWeightsGiveSameBytes) {
  const Params p = every_dtype();
  wtest::TempDir dir;
  for (int level : {0, -1}) {
    SaveOptions o;
    o.compression = level;
    o.durable = false;
    save_weights(dir / "a.npz", p.flat, o);
    save_weights(dir / "b.npz", p.flat, o);
    EXPECT_EQ(wtest::read_bytes(dir / "a.npz"), wtest::read_bytes(dir / "b.npz"));
  }
}

TEST(NpzRoundTrip, CompressionShrinksCompressibleData) {
  std::vector<float> zeros(1 << 16, 0.0f);
  FlatParams params;
  params.emplace("z", TensorView(DType::F32, {1 << 16}, zeros.data()));
  wtest::TempDir dir;
  SaveOptions o;
  o.durable = false;
  save_weights(dir / "stored.npz", params, o);
  o.compression = -1;
  save_weights(dir / "deflated.npz", params, o);
  EXPECT_GT(wtest::fs::file_size(dir / "stored.npz"), zeros.size() * sizeof(float));
  EXPECT_LT(wtest::fs::file_size(dir / "deflated.npz"), 2000u);
}

TEST(NpzRoundTrip, ManyMembersNeedTheZip64EndRecord) {
  // 70000 entries do not fit the classic end record's 16-bit count.
  std::vector<int32_t> values(70000);
  FlatParams params;
  for (int i = 0; i < 70000; ++i) {
    values[i] = i;
    params.emplace("p" + std::to_string(i), TensorView(DType::I32, {}, &values[i]));
  }
  wtest::TempDir dir;
  SaveOptions o;
  o.durable = false;
  save_weights(dir / "many.npz", params, o);
  auto w = load_weights(dir / "many.npz");
  ASSERT_EQ(w.size(), 70000u);
  EXPECT_EQ(*w.at("p69999").data<int32_t>(), 69999);
  auto r = wtest::run_command({"unzip", "-tq", (dir / "many.npz").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Small saves are written by the host sink on the calling thread, large
// stored ones by its writer thread through its staging ring; both report
// progress that only grows and ends at the total, and a progress callback that says
// stop cancels the save, leaving the old file.
TEST(NpzRoundTrip, ProgressReachesTheTotalAndCancels) {
  Params big; // 35 MiB: the threaded path; many slots, then a large tensor
  for (int i = 0; i < 3000; ++i)
    big.add("a." + std::to_string(i), DType::F32, {256}, 100 + i);
  big.add("b", DType::F32, {8 << 20}, 7);
  const uint64_t small_bytes = 3000 * 256 * 4;
  wtest::TempDir dir;
  const Params small = every_dtype();
  for (const Params *p : std::vector<const Params *>{&small, &big}) {
    const FlatParams &flat = p->flat;
    SCOPED_TRACE(p == &big ? "large save" : "small save");
    uint64_t total = 0;
    for (const auto &[name, t] : flat)
      total += t.nbytes();
    uint64_t last_done = 0, last_total = 0;
    bool inside_large = false; // progress reported while "b" was written
    SaveOptions o;
    o.durable = false;
    o.progress = [&](uint64_t done, uint64_t all) {
      EXPECT_GE(done, last_done);
      last_done = done;
      last_total = all;
      inside_large |= done > small_bytes && done < all;
      return true;
    };
    save_weights(dir / "p.npz", flat, o);
    expect_same(flat, load_weights(dir / "p.npz"));
    EXPECT_EQ(last_done, total);
    EXPECT_EQ(last_total, total);
    if (p == &big) {
      EXPECT_TRUE(inside_large) << "no progress within a 32 MiB tensor";
    }

    // Cancelled halfway: the complete file written above stays.
    const auto before = wtest::read_bytes(dir / "p.npz");
    o.progress = [&](uint64_t done, uint64_t all) { return done < all / 2 || all == 0; };
    try {
      save_weights(dir / "p.npz", flat, o);
      ADD_FAILURE() << "the save was not cancelled";
    } catch (const Error &e) {
      EXPECT_EQ(e.code(), ErrorCode::Cancelled) << e.what();
    }
    EXPECT_TRUE(wtest::read_bytes(dir / "p.npz") == before);
  }
}

TEST(NpzRoundTrip, DtypesNpzCannotHoldAreRefusedBeforeWriting) {
  for (DType d : {DType::F8_E4M3, DType::F8_E5M2, DType::F8_E8M0, DType::F8_E4M3FNUZ,
                  DType::F8_E5M2FNUZ, DType::F4, DType::F6_E2M3, DType::F6_E3M2}) {
    SCOPED_TRACE(std::string(dtype_name(d)));
    std::vector<uint8_t> bytes(64, 0);
    float ok = 1;
    FlatParams params;
    params.emplace("fine", TensorView(DType::F32, {}, &ok));
    params.emplace("quantized.weight", TensorView(d, {8}, bytes.data()));
    wtest::TempDir dir;
    try {
      save_weights(dir / "q.npz", params);
      ADD_FAILURE() << "saved";
    } catch (const UnsupportedError &e) {
      EXPECT_EQ(e.code(), ErrorCode::UnsupportedDType);
      EXPECT_TRUE(contains(e.what(), "quantized.weight")) << e.what();
      EXPECT_TRUE(contains(e.what(), std::string(dtype_name(d)))) << e.what();
    }
    EXPECT_FALSE(wtest::fs::exists(dir / "q.npz"));
  }
}

} // namespace
