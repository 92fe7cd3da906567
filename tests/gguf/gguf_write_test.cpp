// The GGUF v3 writer against gguf-py's GGUFWriter: writing back what was
// read from each reference file reproduces it byte for byte, and input
// GGUF cannot hold is refused before the sink receives a byte.
#include "gguf_test_util.hpp"

#include "ggml/dequantize.hpp"
#include "gguf_parse.hpp"
#include "gguf_serialize.hpp"
#include "tensor_bytes.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace weightio::gguf;

namespace {

std::vector<TensorToWrite> tensors_of(const File &f, const std::vector<uint8_t> &bytes) {
  std::vector<TensorToWrite> out;
  for (const auto &t : f.tensors)
    out.push_back({t.name, t.shape, t.type, bytes.data() + f.data_offset + t.offset, t.nbytes});
  return out;
}

std::vector<uint8_t> write_to_vector(const Metadata &m, const std::vector<TensorToWrite> &t,
                                     uint32_t alignment) {
  std::vector<uint8_t> out;
  const uint64_t n = write(m, t, alignment, [&](const void *data, size_t size) {
    const auto *p = static_cast<const uint8_t *>(data);
    out.insert(out.end(), p, p + size);
  });
  EXPECT_EQ(n, out.size());
  return out;
}

class WriteBack : public ::testing::TestWithParam<std::string> {};

TEST_P(WriteBack, ReproducesGgufPyBytes) {
  const auto bytes = wtest::read_bytes(ggtest::data_file(GetParam()));
  const File f = parse(bytes);
  std::vector<uint8_t> expected = bytes;
  if (f.byte_order == weightio::sdk::ByteOrder::big)
    GTEST_SKIP() << "big-endian: covered by BigEndianFileWritesBackLittleEndian";
  if (f.version == 2) // the writer writes version 3; v2 files have the same layout
    expected[4] = 3;
  const Layout layout = plan(f.metadata, tensors_of(f, bytes), f.alignment);
  EXPECT_EQ(layout.data_offset, f.data_offset);
  EXPECT_FALSE(layout.adds_alignment_key);
  for (size_t i = 0; i < f.tensors.size(); ++i)
    EXPECT_EQ(layout.offsets[i], f.tensors[i].offset);
  EXPECT_EQ(layout.file_size, bytes.size());
  const auto written = write_to_vector(f.metadata, tensors_of(f, bytes), f.alignment);
  ASSERT_EQ(written.size(), expected.size());
  EXPECT_TRUE(written == expected)
      << "first difference at byte "
      << std::mismatch(written.begin(), written.end(), expected.begin()).first - written.begin();
}

INSTANTIATE_TEST_SUITE_P(GgufReference, WriteBack,
                         ::testing::ValuesIn(ggtest::reference_files("g")), [](const auto &info) {
                           return info.param.substr(0, info.param.find('.'));
                         });

// g14 is big-endian; written back (little-endian, as the writer always
// writes) it reads with the same metadata and the same values.
TEST(GgufWrite, BigEndianFileWritesBackLittleEndian) {
  const auto bytes = wtest::read_bytes(ggtest::data_file("g14_big_endian.gguf"));
  const File f = parse(bytes);
  ASSERT_EQ(f.byte_order, weightio::sdk::ByteOrder::big);
  std::vector<std::vector<uint8_t>> swapped;
  std::vector<TensorToWrite> tensors;
  for (const auto &t : f.tensors) {
    swapped.emplace_back(t.nbytes);
    copy_as_little_endian(*t.type, f.byte_order, bytes.data() + f.data_offset + t.offset, t.nbytes,
                          swapped.back().data());
    tensors.push_back({t.name, t.shape, t.type, swapped.back().data(), t.nbytes});
  }
  const auto written = write_to_vector(f.metadata, tensors, f.alignment);
  const File g = parse(written);
  EXPECT_EQ(g.byte_order, weightio::sdk::ByteOrder::little);
  EXPECT_EQ(g.metadata, f.metadata);
  const auto e = ggtest::expected_for("g14_big_endian.gguf");
  ASSERT_EQ(g.tensors.size(), e["tensors"].size());
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const auto &t = g.tensors[i];
    const auto &x = e["tensors"][i];
    EXPECT_EQ(t.shape, x["shape"].get<std::vector<uint64_t>>());
    if (x.contains("dequant_f32_sha256")) {
      std::vector<float> values(t.n_elements);
      weightio::gguf::ggml::dequantize(*t.type, written.data() + g.data_offset + t.offset, 0,
                                       t.n_elements, values.data(),
                                       weightio::gguf::ggml::OutType::f32);
      EXPECT_EQ(ggtest::sha256_of_floats(values), x["dequant_f32_sha256"].get<std::string>())
          << t.name;
    }
  }
  // The I32 tensor (no dequant hash) holds the swapped elements.
  const auto &i32 = g.tensors.at(2);
  ASSERT_EQ(i32.type->name, "I32");
  const uint8_t *be = bytes.data() + f.data_offset + f.tensors[2].offset;
  const uint8_t *le = written.data() + g.data_offset + i32.offset;
  for (uint64_t k = 0; k < i32.nbytes; ++k)
    EXPECT_EQ(le[k], be[k - k % 4 + (3 - k % 4)]);
}

TEST(GgufWrite, NonDefaultAlignmentIsRecordedInTheMetadata) {
  const std::vector<float> w(5, 1.5f);
  const std::vector<TensorToWrite> t = {
      {"w", {5}, weightio::gguf::ggml::find_type("F32"), w.data(), 20},
      {"v", {5}, weightio::gguf::ggml::find_type("F32"), w.data(), 20}};
  Metadata m = {{"general.architecture", Value::string("llama")}};
  const auto bytes = write_to_vector(m, t, 128);
  const File f = parse(bytes);
  EXPECT_EQ(f.alignment, 128u);
  ASSERT_EQ(f.metadata.size(), 2u);
  EXPECT_EQ(f.metadata[1].key, "general.alignment");
  EXPECT_EQ(f.metadata[1].value, Value::u32(128));
  EXPECT_EQ(f.data_offset % 128, 0u);
  EXPECT_EQ(f.tensors[1].offset, 128u);
  EXPECT_EQ(bytes.size(), f.data_offset + 256);
  // Given explicitly and equal, it is written where it was given, once.
  m.insert(m.begin(), {"general.alignment", Value::u32(128)});
  const File g = parse(write_to_vector(m, t, 128));
  ASSERT_EQ(g.metadata.size(), 2u);
  EXPECT_EQ(g.metadata[0].key, "general.alignment");
}

Value bool_of(uint64_t bits) {
  Value v = Value::boolean(true);
  v.bits = bits;
  return v;
}

Value uint8_of(uint64_t bits) {
  Value v = Value::u8(0);
  v.bits = bits;
  return v;
}

// Each case: the input and a phrase the refusal must contain. No byte may
// reach the sink.
TEST(GgufWrite, RefusesWhatGgufCannotHoldBeforeWriting) {
  const auto *f32 = weightio::gguf::ggml::find_type("F32");
  const auto *q4_0 = weightio::gguf::ggml::find_type("Q4_0");
  const std::vector<uint8_t> buf(4096);
  const auto tensor = [&](std::string name, std::vector<uint64_t> shape,
                          const weightio::gguf::ggml::TypeInfo *type, uint64_t nbytes) {
    return TensorToWrite{std::move(name), std::move(shape), type, buf.data(), nbytes};
  };
  struct Case {
    std::string what;
    Metadata metadata;
    std::vector<TensorToWrite> tensors;
    uint32_t alignment;
    std::string phrase;
  };
  const std::vector<Case> cases = {
      {"name of 64 bytes",
       {},
       {tensor(std::string(64, 'n'), {1}, f32, 4)},
       32,
       "name is 64 bytes (GGUF allows 63)"},
      {"no dimensions", {}, {tensor("t", {}, f32, 4)}, 32, "0 dimensions (GGUF holds 1 to 4)"},
      {"5 dimensions", {}, {tensor("t", {1, 1, 1, 1, 1}, f32, 4)}, 32, "5 dimensions"},
      {"0 in an outer dimension",
       {},
       {tensor("t", {0, 4}, f32, 0)},
       32,
       "dimension 0 is 0 (GGUF allows 0 only in the innermost dimension)"},
      {"row not a whole number of blocks",
       {},
       {tensor("t", {2, 48}, q4_0, 54)},
       32,
       "innermost dimension 48 is not a multiple of the Q4_0 block size 32"},
      {"byte count disagrees",
       {},
       {tensor("t", {2, 3}, f32, 20)},
       32,
       "20 bytes given, its shape and type F32 need 24"},
      {"duplicate tensor",
       {},
       {tensor("t", {1}, f32, 4), tensor("t", {1}, f32, 4)},
       32,
       "duplicate tensor 't'"},
      {"duplicate key",
       {{"a", Value::u8(1)}, {"a", Value::u8(2)}},
       {},
       32,
       "duplicate metadata key 'a'"},
      {"non-ASCII key", {{"cl\xc3\xa9", Value::u8(1)}}, {}, 32, "not ASCII"},
      {"alignment key of another value",
       {{"general.alignment", Value::u32(64)}},
       {},
       32,
       "metadata key 'general.alignment' disagrees with the alignment 32"},
      {"alignment key of another type",
       {{"general.alignment", Value::u64(32)}},
       {},
       32,
       "must be a UINT32"},
      {"alignment 0", {}, {}, 0, "alignment 0 is not a non-zero power of two"},
      {"alignment 48", {}, {}, 48, "alignment 48 is not a non-zero power of two"},
      {"BOOL of 2", {{"b", bool_of(2)}}, {}, 32, "BOOL value is neither 0 nor 1"},
      {"UINT8 of 2", {{"b", Value::u8(2)}}, {}, 32, ""}, // the control case: fine
      {"UINT8 of 256", {{"b", uint8_of(256)}}, {}, 32, "value bits do not fit its type"},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(c.what);
    size_t calls = 0;
    const ByteSink counting = [&](const void *, size_t) { ++calls; };
    if (c.phrase.empty()) {
      EXPECT_NO_THROW(write(c.metadata, c.tensors, c.alignment, counting));
      continue;
    }
    try {
      write(c.metadata, c.tensors, c.alignment, counting);
      ADD_FAILURE() << "accepted";
    } catch (const WriteError &e) {
      EXPECT_NE(std::string(e.what()).find(c.phrase), std::string::npos) << e.what();
    }
    EXPECT_EQ(calls, 0u);
    EXPECT_THROW(plan(c.metadata, c.tensors, c.alignment), WriteError);
  }
}

// Values of every kind survive a write and a read with their types.
TEST(GgufWrite, TypedValuesRoundTrip) {
  Metadata m = {
      {"u8", Value::u8(255)},
      {"i8", Value::i8(-128)},
      {"u16", Value::u16(65535)},
      {"i16", Value::i16(-2)},
      {"u32", Value::u32(4000000000u)},
      {"i32", Value::i32(-7)},
      {"f32", Value::f32(-0.0f)},
      {"b", Value::boolean(true)},
      {"s", Value::string(std::string("nul\0in", 6))},
      {"u64", Value::u64(~uint64_t{0})},
      {"i64", Value::i64(INT64_MIN)},
      {"f64", Value::f64(1e300)},
      {"arr_i16", Value::packed_array(ValueType::INT16, {0x01, 0x80, 0xff, 0x7f})},
      {"arr_s", Value::string_array({"", "x", "\xf0\x9f\x9a\x80"})},
      {"arr_arr", Value::array_array(
                      {Value::packed_array(ValueType::BOOL, {1, 0}), Value::string_array({"a"})})},
      {"empty", Value::packed_array(ValueType::FLOAT64, {})},
  };
  const File f = parse(write_to_vector(m, {}, 32));
  EXPECT_EQ(f.metadata, m);
  EXPECT_EQ(f.metadata[1].value.as_i64(), -128);
  EXPECT_EQ(f.metadata[3].value.as_i64(), -2);
  EXPECT_EQ(f.metadata[10].value.as_i64(), INT64_MIN);
  EXPECT_EQ(f.metadata[11].value.as_f64(), 1e300);
  EXPECT_EQ(f.metadata[12].value.size(), 2u);
  EXPECT_EQ(f.metadata[12].value.item(0).as_i64(), -32767);
  EXPECT_EQ(f.metadata[12].value.item(1).as_i64(), 32767);
}

} // namespace

namespace {

// What weightio writes, read by an independent numpy reader
// (tests/python/gguf_numpy_reader.py): every field as written, padding zero.
TEST(GgufWrite, IndependentReaderAgrees) {
  const auto *f32 = weightio::gguf::ggml::find_type("F32");
  const auto *q8_0 = weightio::gguf::ggml::find_type("Q8_0");
  const auto *i16 = weightio::gguf::ggml::find_type("I16");
  std::vector<uint8_t> buf(8192);
  for (size_t i = 0; i < buf.size(); ++i)
    buf[i] = static_cast<uint8_t>(i * 131 + 7);
  const std::vector<TensorToWrite> tensors = {
      {"blk.0.q", {3, 64}, q8_0, buf.data(), 3 * 2 * 34},
      {"empty", {0}, f32, nullptr, 0},
      {"odd", {5, 3}, i16, buf.data() + 1000, 30},
      {"scal\xc3\xa6r", {1}, f32, buf.data() + 2000, 4},
  };
  const Metadata metadata = {
      {"general.architecture", Value::string("llama")},
      {"x.u16", Value::u16(65535)},
      {"x.i64", Value::i64(-5)},
      {"x.f32", Value::f32(0.1f)},
      {"x.flags", Value::packed_array(ValueType::BOOL, {1, 0, 1})},
      {"x.tokens", Value::string_array({"<s>", "\xe2\x96\x81the", ""})},
      {"x.nest", Value::array_array({Value::packed_array(ValueType::INT32, {1, 0, 0, 0}),
                                     Value::packed_array(ValueType::INT32, {})})},
  };
  for (uint32_t alignment : {32u, 64u, 8u}) {
    SCOPED_TRACE("alignment " + std::to_string(alignment));
    wtest::TempDir dir;
    const auto bytes = write_to_vector(metadata, tensors, alignment);
    wtest::write_bytes(dir / "w.gguf", bytes);
    const auto r = wtest::run_python(wtest::python_script("gguf_numpy_reader.py"),
                                     {(dir / "w.gguf").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const Layout layout = plan(metadata, tensors, alignment);
    EXPECT_EQ(j["version"], 3);
    EXPECT_EQ(j["alignment"], alignment);
    EXPECT_EQ(j["tensor_data_offset"], layout.data_offset);
    EXPECT_EQ(j["file_size"], bytes.size());
    EXPECT_TRUE(j["padding_zero"].get<bool>());
    auto expected_meta = metadata;
    if (alignment != 32)
      expected_meta.push_back({"general.alignment", Value::u32(alignment)});
    ASSERT_EQ(j["metadata"].size(), expected_meta.size());
    for (size_t i = 0; i < expected_meta.size(); ++i)
      EXPECT_EQ(j["metadata"][i], ggtest::to_expected_json(expected_meta[i]));
    ASSERT_EQ(j["tensors"].size(), tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto &t = tensors[i];
      const auto &x = j["tensors"][i];
      EXPECT_EQ(x["name"], t.name);
      EXPECT_EQ(x["ggml_type"]["id"], weightio::gguf::ggml::id_of(t.type->type));
      EXPECT_EQ(x["shape"].get<std::vector<uint64_t>>(), t.shape);
      EXPECT_EQ(x["offset"], layout.offsets[i]);
      EXPECT_EQ(x["offset"].get<uint64_t>() % alignment, 0u);
      EXPECT_EQ(x["nbytes"], t.nbytes);
      EXPECT_EQ(x["sha256"], wtest::sha256_hex(t.data, t.nbytes));
    }
  }
}

} // namespace
