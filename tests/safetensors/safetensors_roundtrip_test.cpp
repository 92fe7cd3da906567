// weightio -> weightio round trips through the safetensors plugin: every
// dtype, scalars, zero-size tensors, awkward names, many tensors, metadata,
// plus what the writer refuses and how the reader maps data.
#include "safetensors_reference.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

using namespace weightio;

namespace {

struct Owned {
  std::string name;
  DType dtype;
  Shape shape;
  std::vector<uint8_t> bytes;
};

std::vector<uint8_t> pattern(uint64_t n, uint32_t seed) {
  std::vector<uint8_t> out(n);
  uint32_t x = seed * 2654435761u + 12345u;
  for (auto &b : out) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  return out;
}

Owned make(std::string name, DType dtype, Shape shape, uint32_t seed = 1) {
  Owned t{std::move(name), dtype, std::move(shape), {}};
  t.bytes = pattern(shape_nbytes(t.dtype, t.shape), seed);
  return t;
}

FlatParams views_of(const std::vector<Owned> &ts) {
  FlatParams p;
  for (const auto &t : ts)
    p.emplace(t.name, TensorView(t.dtype, t.shape, t.bytes.empty() ? nullptr : t.bytes.data()));
  return p;
}

class SafetensorsRoundTrip : public ::testing::Test {
protected:
  Weights round_trip(const std::vector<Owned> &ts, const Metadata &metadata = {}) {
    SaveOptions opts;
    opts.metadata = metadata;
    save_weights(file(), views_of(ts), opts);
    return load_weights(file());
  }
  wtest::fs::path file() const { return dir_ / "model.safetensors"; }

  static void expect_same(const Weights &w, const std::vector<Owned> &ts) {
    ASSERT_EQ(w.size(), ts.size());
    for (const auto &t : ts) {
      SCOPED_TRACE("tensor " + t.name);
      const Tensor *got = w.find(t.name);
      ASSERT_NE(got, nullptr);
      EXPECT_EQ(got->dtype(), t.dtype);
      EXPECT_EQ(got->shape(), t.shape);
      ASSERT_EQ(got->nbytes(), t.bytes.size());
      if (!t.bytes.empty()) {
        EXPECT_EQ(std::memcmp(got->data(), t.bytes.data(), t.bytes.size()), 0);
      }
    }
  }

  wtest::TempDir dir_;
};

std::vector<std::string> names_in_order(const Weights &w) {
  std::vector<std::string> out;
  for (const auto &[name, t] : w)
    out.push_back(name);
  return out;
}

// The official writer's dtype order (the crate's Dtype enum).
const std::vector<std::string> kOfficialOrder = {
    "U64", "I64", "F64",     "C64",         "F32",         "U32",     "I32",     "BF16",
    "F16", "U16", "I16",     "F8_E5M2FNUZ", "F8_E4M3FNUZ", "F8_E8M0", "F8_E4M3", "F8_E5M2",
    "I8",  "U8",  "F6_E3M2", "F6_E2M3",     "F4",          "BOOL"};

std::vector<DType> safetensors_dtypes() {
  std::vector<DType> out;
  for (const auto &name : kOfficialOrder)
    out.push_back(*dtype_from_name(name));
  return out;
}

bool is_sub_byte(DType d) {
  return dtype_bits(d) < 8;
}

} // namespace

TEST_F(SafetensorsRoundTrip, EveryDtypeInTheOfficialWriterOrder) {
  std::vector<Owned> ts;
  uint32_t seed = 0;
  // Given in reverse name order so the writer has to sort.
  for (DType d : safetensors_dtypes())
    ts.push_back(
        make(std::string(dtype_name(d)), d, is_sub_byte(d) ? Shape{2, 4} : Shape{2, 3}, ++seed));
  std::reverse(ts.begin(), ts.end());
  const Weights w = round_trip(ts);
  expect_same(w, ts);
  EXPECT_EQ(names_in_order(w), kOfficialOrder);
  for (const auto &[name, t] : w)
    EXPECT_TRUE(t.is_mapped()) << name << ": files weightio writes are 8-byte aligned";
}

TEST_F(SafetensorsRoundTrip, Scalars) {
  std::vector<Owned> ts;
  uint32_t seed = 0;
  for (DType d : safetensors_dtypes())
    if (!is_sub_byte(d)) // a lone 4- or 6-bit element does not fill a byte
      ts.push_back(make("scalar_" + std::string(dtype_name(d)), d, Shape{}, ++seed));
  const Weights w = round_trip(ts);
  expect_same(w, ts);
}

TEST_F(SafetensorsRoundTrip, ZeroSizeTensors) {
  std::vector<Owned> ts = {
      make("empty", DType::F32, {0, 3}),  make("empty_i64", DType::I64, {3, 0}),
      make("x", DType::F32, {2}),         make("empty_u8", DType::U8, {0}),
      make("cube", DType::F4, {0, 0, 0}), make("y", DType::U8, {3})};
  const Weights w = round_trip(ts);
  expect_same(w, ts);
  // Data order; zero-size tensors sharing an offset by name, as in w04's reference.
  EXPECT_EQ(names_in_order(w),
            (std::vector<std::string>{"empty", "empty_i64", "x", "empty_u8", "y", "cube"}));
}

TEST_F(SafetensorsRoundTrip, NonAsciiEmptyAndControlCharacterNames) {
  std::vector<Owned> ts = {
      make("", DType::U8, {1}, 1),
      make("\xC3\xBCn\xC3\xAF"
           "c\xC3\xB6"
           "d\xC3\xA9.weight",
           DType::F32, {1}, 2),
      make("\xE6\x9D\x83\xE9\x87\x8D.\xE5\x81\x8F\xE7\xBD\xAE", DType::F16, {2}, 3),
      make("emoji\xF0\x9F\x98\x80", DType::U8, {1}, 4),
      make("ctl\t\n\x01\x1f\x7f", DType::U8, {1}, 5),
      make(std::string("nul\0inside", 10), DType::U8, {1}, 6),
      make("quote\"back\\slash", DType::U8, {1}, 7),
      make("slash/and.dots", DType::U8, {1}, 8),
  };
  const Weights w = round_trip(ts);
  expect_same(w, ts);
}

TEST_F(SafetensorsRoundTrip, ThousandTensors) {
  const std::vector<DType> cycle = {DType::I64, DType::F32, DType::BF16, DType::U8,
                                    DType::F16, DType::F64, DType::BOOL};
  std::vector<Owned> ts;
  for (uint32_t i = 0; i < 1000; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "layer.%04u", i);
    ts.push_back(make(name, cycle[i % cycle.size()], {1 + i % 3, 2}, i));
  }
  const Weights w = round_trip(ts, {{"format", "pt"}});
  expect_same(w, ts);
  EXPECT_EQ(w.metadata, (Metadata{{"format", "pt"}}));
  // Data order: dtype in the official order, then name.
  auto rank = [](DType d) {
    return std::find(kOfficialOrder.begin(), kOfficialOrder.end(), dtype_name(d)) -
           kOfficialOrder.begin();
  };
  std::vector<std::string> expected;
  auto sorted = ts;
  std::sort(sorted.begin(), sorted.end(), [&](const Owned &a, const Owned &b) {
    return std::pair(rank(a.dtype), a.name) < std::pair(rank(b.dtype), b.name);
  });
  for (const auto &t : sorted)
    expected.push_back(t.name);
  EXPECT_EQ(names_in_order(w), expected);
}

TEST_F(SafetensorsRoundTrip, MetadataWithNonAsciiAndControlCharacters) {
  const Metadata metadata = {
      {"format", "pt"},
      {"\xC3\xBCn\xC3\xAF", "\xC3\xA7\xF0\x9F\x98\x80"},
      {"control", std::string("a\nb\t\x01\x1f\x7f\0end", 12)},
      {"json_like", "{\"a\": [1,2]}"},
      {"quote", "\"\\/"},
      {"empty", ""},
      {"", "empty key"},
  };
  const Weights w = round_trip({make("w", DType::BF16, {3})}, metadata);
  EXPECT_EQ(w.metadata, metadata);
}

TEST_F(SafetensorsRoundTrip, MetadataOnlyAndNothingAtAll) {
  EXPECT_EQ(round_trip({}, {{"format", "np"}}).metadata, (Metadata{{"format", "np"}}));
  const Weights empty = round_trip({});
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(empty.metadata.empty());
}

TEST(SafetensorsFormat, DeclaresItsCapabilities) {
  const FormatInfo f = format_by_name("safetensors");
  EXPECT_EQ(f.extensions, std::vector<std::string>{"safetensors"});
  EXPECT_TRUE(f.can_read);
  EXPECT_TRUE(f.can_write);
  EXPECT_TRUE(f.metadata);
  EXPECT_FALSE(f.compression);
  std::vector<std::string> dtypes;
  for (DType d : f.write_dtypes)
    dtypes.emplace_back(dtype_name(d));
  std::sort(dtypes.begin(), dtypes.end());
  auto expected = kOfficialOrder;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(dtypes, expected); // all 22, no C128
}

TEST(SafetensorsWriter, RefusesComplex128NamingTheTensor) {
  wtest::TempDir dir;
  const double z[2] = {1.0, 2.0};
  float f = 1;
  FlatParams p;
  p.emplace("fine", TensorView(DType::F32, {}, &f));
  p.emplace("layers.3.phase", TensorView(DType::C128, {1}, z));
  try {
    save_weights(dir / "m.safetensors", p);
    FAIL() << "C128 accepted";
  } catch (const UnsupportedError &e) {
    EXPECT_EQ(e.code(), ErrorCode::UnsupportedDType);
    EXPECT_NE(std::string(e.what()).find("layers.3.phase"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(wtest::fs::exists(dir / "m.safetensors"));
}

TEST(SafetensorsWriter, RefusesAHeaderOverOneHundredMillionBytes) {
  wtest::TempDir dir;
  SaveOptions opts;
  opts.metadata = {{"big", std::string(100'000'000, 'x')}};
  try {
    save_weights(dir / "m.safetensors", FlatParams{}, opts);
    FAIL() << "oversized header accepted";
  } catch (const UnsupportedError &e) {
    EXPECT_NE(std::string(e.what()).find("100000000"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(wtest::fs::exists(dir / "m.safetensors"));
}

TEST(SafetensorsWriter, RefusesWhatTheFormatCannotHold) {
  wtest::TempDir dir;
  float f = 1;
  auto refused = [&](const FlatParams &p, const SaveOptions &opts, const std::string &part) {
    try {
      save_weights(dir / "m.safetensors", p, opts);
      ADD_FAILURE() << "accepted; expected an error mentioning " << part;
    } catch (const UnsupportedError &e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  FlatParams reserved;
  reserved.emplace("__metadata__", TensorView(DType::F32, {}, &f));
  refused(reserved, {}, "__metadata__");

  FlatParams bad_name;
  bad_name.emplace("bad\xFFname", TensorView(DType::F32, {}, &f));
  refused(bad_name, {}, "UTF-8");

  FlatParams ok;
  ok.emplace("w", TensorView(DType::F32, {}, &f));
  SaveOptions bad_meta;
  bad_meta.metadata = {{"k", "\xC0\xAF"}};
  refused(ok, bad_meta, "UTF-8");

  SaveOptions compressed;
  compressed.compression = 6;
  try {
    save_weights(dir / "m.safetensors", ok, compressed);
    ADD_FAILURE() << "compression accepted";
  } catch (const UnsupportedError &) {
  }
  EXPECT_FALSE(wtest::fs::exists(dir / "m.safetensors"));
}

TEST(SafetensorsWriter, ReportsProgressAndCanBeCancelled) {
  wtest::TempDir dir;
  std::vector<Owned> ts = {make("a", DType::F32, {1024, 1024}), make("b", DType::U8, {7})};
  const uint64_t total = ts[0].bytes.size() + ts[1].bytes.size();
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  SaveOptions opts;
  opts.progress = [&](uint64_t done, uint64_t all) {
    calls.emplace_back(done, all);
    return true;
  };
  save_weights(dir / "m.safetensors", views_of(ts), opts);
  ASSERT_FALSE(calls.empty());
  EXPECT_EQ(calls.back(), std::pair(total, total));
  for (size_t i = 1; i < calls.size(); ++i)
    EXPECT_LE(calls[i - 1].first, calls[i].first);

  opts.progress = [](uint64_t, uint64_t) { return false; };
  try {
    save_weights(dir / "cancelled.safetensors", views_of(ts), opts);
    FAIL() << "not cancelled";
  } catch (const Error &e) {
    EXPECT_EQ(e.code(), ErrorCode::Cancelled);
  }
  EXPECT_FALSE(wtest::fs::exists(dir / "cancelled.safetensors"));
}

TEST(SafetensorsReader, AlignedTensorsAreViewsIntoTheMapping) {
  for (const char *name :
       {"w01_basic_dtypes.safetensors", "w02_all_dtypes.safetensors", "w11_big_1mib.safetensors"}) {
    const Weights w = load_weights(sttest::reference_path(name));
    for (const auto &[tname, t] : w)
      EXPECT_TRUE(t.is_mapped()) << name << ": " << tname;
  }
}

TEST(SafetensorsReader, MisalignedTensorIsAnAlignedCopy) {
  const std::string file = "h01_unsorted_misaligned.safetensors";
  const auto e = sttest::expected_for(file);
  const Weights w = load_weights(sttest::reference_path(file));
  ASSERT_EQ(w.size(), 2u);
  const Tensor &a = w.at("a"); // U8 needs no alignment
  EXPECT_TRUE(a.is_mapped());
  const Tensor &b = w.at("b"); // F32 at file offset 115 + 3
  ASSERT_EQ(e.tensors[1].name, "b");
  EXPECT_NE((e.data_start + e.tensors[1].begin) % 4, 0u); // misaligned in the mapping
  EXPECT_FALSE(b.is_mapped());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % 4, 0u);
  EXPECT_EQ(b.shape(), Shape{2});
  EXPECT_EQ(wtest::sha256_hex(b.data(), b.nbytes()), e.tensors[1].sha256);
  const auto bytes = wtest::read_bytes(sttest::reference_path(file));
  float expected[2];
  std::memcpy(expected, bytes.data() + e.data_start + e.tensors[1].begin, sizeof expected);
  EXPECT_EQ(b.data<float>()[0], expected[0]);
  EXPECT_EQ(b.data<float>()[1], expected[1]);
}

TEST(SafetensorsReader, OnlyLoadsTheRequestedTensors) {
  LoadOptions opts;
  opts.only = {"f32", "u8"};
  const Weights w = load_weights(sttest::reference_path("w01_basic_dtypes.safetensors"), opts);
  EXPECT_EQ(names_in_order(w), (std::vector<std::string>{"f32", "u8"}));
}

TEST(SafetensorsReader, HonoursTheCallersLimits) {
  auto refused = [](const std::string &file, LoadOptions opts, const std::string &part) {
    try {
      (void)load_weights(sttest::reference_path(file), opts);
      ADD_FAILURE() << file << " accepted; expected " << part;
    } catch (const FormatError &e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  const std::string many = "w10_many_1000.safetensors"; // N = 68184, names of 10 bytes
  LoadOptions opts;
  opts.limits.max_tensors = 999;
  refused(many, opts, "max_tensors");
  opts.limits.max_tensors = 1000;
  EXPECT_EQ(load_weights(sttest::reference_path(many), opts).size(), 1000u);

  opts = {};
  opts.limits.max_header_bytes = 68183;
  refused(many, opts,
          "header too large: header length 68184 is over the limit 68183 (max_header_bytes)");
  opts.limits.max_header_bytes = 68184;
  EXPECT_NO_THROW((void)load_weights(sttest::reference_path(many), opts));

  opts = {};
  opts.limits.max_name_bytes = 9;
  refused(many, opts, "max_name_bytes");

  opts = {};
  opts.limits.max_ndim = 1; // w01 has a 2-D tensor
  refused("w01_basic_dtypes.safetensors", opts, "max_ndim");
}

TEST(SafetensorsReader, FoundByContentWhenTheExtensionIsUnknown) {
  wtest::TempDir dir;
  const auto bytes = wtest::read_bytes(sttest::reference_path("w01_basic_dtypes.safetensors"));
  wtest::write_bytes(dir / "weights.bin", bytes);
  const Weights w = load_weights(dir / "weights.bin");
  EXPECT_EQ(w.format, "safetensors");
  EXPECT_EQ(w.size(), 7u);
}

TEST(SafetensorsReader, OffsetsBeyondFourGibibytes) {
  // A sparse file: 4 GiB + 8 bytes of U8, then an F32 pair. Loading touches
  // only the header, so this costs no real memory or I/O.
  wtest::TempDir dir;
  const uint64_t big = (uint64_t{1} << 32) + 8;
  const std::string header =
      "{\"big\":{\"dtype\":\"U8\",\"shape\":[" + std::to_string(big) + "],\"data_offsets\":[0," +
      std::to_string(big) + "]},\"tail\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" +
      std::to_string(big) + "," + std::to_string(big + 8) + "]}}" + std::string(7, ' ');
  const size_t n = header.size() - header.size() % 8; // data starts 8-aligned
  std::vector<uint8_t> head(8);
  for (int i = 0; i < 8; ++i)
    head[i] = static_cast<uint8_t>(n >> (8 * i));
  head.insert(head.end(), header.begin(), header.begin() + static_cast<long>(n));
  const auto path = dir / "sparse.safetensors";
  wtest::write_bytes(path, head);
  const float tail[2] = {1.5f, -2.0f};
  const int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, tail, sizeof tail, static_cast<off_t>(head.size() + big)),
            static_cast<ssize_t>(sizeof tail));
  ::close(fd);

  const Weights w = load_weights(path);
  ASSERT_EQ(names_in_order(w), (std::vector<std::string>{"big", "tail"}));
  EXPECT_EQ(w.at("big").nbytes(), big);
  const Tensor &t = w.at("tail");
  EXPECT_EQ(static_cast<const uint8_t *>(t.data()) -
                static_cast<const uint8_t *>(w.at("big").data()),
            static_cast<ptrdiff_t>(big));
  EXPECT_TRUE(t.is_mapped());
  EXPECT_EQ(t.data<float>()[0], 1.5f);
  EXPECT_EQ(t.data<float>()[1], -2.0f);
}
