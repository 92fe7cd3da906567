// The GGUF plugin through the public API (load_weights, save_weights) and the
// CLI: the reference files load as gguf-py says they read (typed metadata,
// shapes, block types, bytes, dequantized values), malformed ones are
// refused naming the file and the reason, GGUF -> GGUF is byte-identical,
// and the writer's limits and options hold before anything is written.
#include "gguf_test_util.hpp"

#include "../cli/cli_support.hpp"

#include "ggml/float_bits.hpp"
#include "gguf_parse.hpp"
#include "gguf_serialize.hpp"

#include <gtest/gtest.h>

#include <weightio/weightio.hpp>

#include <bit>
#include <cstring>

namespace {

using nlohmann::json;
using weightio::DType;

json value_json(const weightio::Value &v);

json items_json(const weightio::Value &v) {
  json items = json::array();
  for (const weightio::Value &item : v.items()) {
    if (item.type() == weightio::ValueType::Array)
      items.push_back({{"item_type", std::string(weightio::value_type_name(item.item_type()))},
                       {"value", items_json(item)}});
    else
      items.push_back(value_json(item));
  }
  return items;
}

// A value in the expected files' shape (floats as doubles, integers exact).
json value_json(const weightio::Value &v) {
  using weightio::ValueType;
  switch (v.type()) {
  case ValueType::String:
    return v.as_string();
  case ValueType::Bool:
    return v.as_bool();
  case ValueType::F32:
  case ValueType::F64:
    return v.as_double();
  case ValueType::Array:
    return items_json(v);
  default:
    if (weightio::value_type_is_signed(v.type()))
      return v.as_int();
    return v.as_uint();
  }
}

json entry_json(const std::string &key, const weightio::Value &v) {
  json j = {{"key", key}, {"type", std::string(weightio::value_type_name(v.type()))}};
  if (v.type() == weightio::ValueType::Array)
    j["item_type"] = std::string(weightio::value_type_name(v.item_type()));
  j["value"] = value_json(v);
  return j;
}

size_t element_width(DType d) {
  switch (d) {
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F16:
  case DType::BF16:
  case DType::I16:
    return 2;
  default:
    return 1;
  }
}

// The tensor's bytes as the file stores them: big-endian files keep plain
// elements big-endian, and weightio hands out little-endian ones.
std::string stored_sha256(const weightio::Tensor &t, bool big_endian) {
  std::vector<uint8_t> b(static_cast<const uint8_t *>(t.data()),
                         static_cast<const uint8_t *>(t.data()) + t.nbytes());
  const size_t w = t.block_type() != nullptr ? 1 : element_width(t.dtype());
  if (big_endian)
    for (size_t i = 0; i + w <= b.size(); i += w)
      std::reverse(b.begin() + static_cast<std::ptrdiff_t>(i),
                   b.begin() + static_cast<std::ptrdiff_t>(i + w));
  return wtest::sha256_hex(b.data(), b.size());
}

// Plain floating tensors as float32, as numpy's astype(float32) makes them.
std::vector<float> widened(const weightio::Tensor &t) {
  const uint64_t n = weightio::shape_numel(t.shape());
  std::vector<float> out(n);
  const auto *p = static_cast<const uint8_t *>(t.data());
  for (uint64_t i = 0; i < n; ++i) {
    uint16_t h = 0;
    switch (t.dtype()) {
    case DType::F32:
      std::memcpy(&out[i], p + 4 * i, 4);
      break;
    case DType::F64: {
      double d = 0;
      std::memcpy(&d, p + 8 * i, 8);
      out[i] = static_cast<float>(d);
      break;
    }
    case DType::F16:
      std::memcpy(&h, p + 2 * i, 2);
      out[i] = weightio::gguf::ggml::f16_to_f32(h);
      break;
    case DType::BF16:
      std::memcpy(&h, p + 2 * i, 2);
      out[i] = std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
      break;
    default:
      ADD_FAILURE() << "not a floating tensor";
    }
  }
  return out;
}

std::vector<std::string> little_endian_valid_files() {
  std::vector<std::string> out;
  for (const auto &name : ggtest::reference_files("g"))
    if (ggtest::expected_for(name)["byte_order"] == "little")
      out.push_back(name);
  return out;
}

class GgufPluginValid : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufPluginValid, LoadsAsGgufPyReadsIt) {
  const json e = ggtest::expected_for(GetParam());
  const weightio::Weights w = weightio::load_weights(ggtest::data_file(GetParam()));
  EXPECT_EQ(w.format, "gguf");
  ASSERT_EQ(w.metadata.size(), e["metadata"].size());
  size_t i = 0;
  for (const auto &[key, value] : w.metadata) {
    EXPECT_EQ(entry_json(key, value), e["metadata"][i]) << "kv[" << i << "]";
    ++i;
  }
  ASSERT_EQ(w.size(), e["tensors"].size());
  const bool big = e["byte_order"] == "big";
  i = 0;
  for (const auto &[name, t] : w) {
    const json &x = e["tensors"][i++];
    SCOPED_TRACE(name);
    EXPECT_EQ(name, x["name"].get<std::string>());
    EXPECT_EQ(t.shape(), x["shape"].get<weightio::Shape>());
    EXPECT_EQ(t.nbytes(), x["nbytes"].get<uint64_t>());
    const std::string ggml_name = x["ggml_type"]["name"];
    if (t.block_type() != nullptr)
      EXPECT_EQ(t.block_type()->name, "ggml." + ggml_name);
    else
      EXPECT_EQ(weightio::dtype_name(t.dtype()), ggml_name);
    EXPECT_EQ(stored_sha256(t, big), x["sha256"].get<std::string>());
  }
}

// Dequantized tensors are made by the host for the plugin's decode: their
// bytes count against max_alloc_bytes like a reader's own buffers.
TEST(GgufPlugin, DequantizedTensorsCountAgainstTheAllocationLimit) {
  const auto file = ggtest::data_file("g05_quantize.gguf");
  weightio::LoadOptions o;
  o.format_options["dequantize"] = "f32";
  const weightio::Weights all = weightio::load_weights(file, o);
  uint64_t largest = 0, total = 0;
  std::string largest_name;
  for (const auto &[name, t] : all) {
    total += t.nbytes();
    if (t.nbytes() > largest) {
      largest = t.nbytes();
      largest_name = name;
    }
  }
  ASSERT_GT(largest, 1u);
  o.limits.max_alloc_bytes = largest - 1;
  try {
    (void)weightio::load_weights(file, o);
    FAIL() << "loaded past the allocation limit";
  } catch (const weightio::Error &e) {
    EXPECT_NE(std::string(e.what()).find("allocation limit"), std::string::npos) << e.what();
    EXPECT_FALSE(e.tensor().empty()) << e.what();
  }
  o.limits.max_alloc_bytes = total; // the decoded tensors and nothing more fit
  EXPECT_EQ(weightio::load_weights(file, o).size(), all.size());
}

TEST_P(GgufPluginValid, DequantizedValuesMatchTheReferenceAtAnyThreadCount) {
  const json e = ggtest::expected_for(GetParam());
  for (unsigned threads : {1u, 2u, 8u}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    weightio::LoadOptions o;
    o.format_options["dequantize"] = "f32";
    o.threads = threads;
    const weightio::Weights w = weightio::load_weights(ggtest::data_file(GetParam()), o);
    for (const json &x : e["tensors"]) {
      if (!x.contains("dequant_f32_sha256"))
        continue;
      const weightio::Tensor &t = w.at(x["name"].get<std::string>());
      SCOPED_TRACE(x["name"].get<std::string>());
      ASSERT_EQ(t.block_type(), nullptr);
      std::string sha;
      if (x["ggml_type"]["id"].get<int>() <= 1 || t.dtype() != DType::F32 ||
          x["ggml_type"]["name"] == "F32")
        sha = ggtest::sha256_of_floats(widened(t));
      else
        sha = wtest::sha256_hex(t.data(), t.nbytes());
      EXPECT_EQ(sha, x["dequant_f32_sha256"].get<std::string>());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(GgufReference, GgufPluginValid,
                         ::testing::ValuesIn(ggtest::reference_files("g")),
                         [](const auto &info) { return info.param.substr(0, 3); });

class GgufPluginWriteBack : public ::testing::TestWithParam<std::string> {};

// Metadata (general.alignment included) and tensors as loaded, saved with
// the default options: gguf-py's bytes (a version-2 file comes out as 3).
TEST_P(GgufPluginWriteBack, IsByteIdentical) {
  const auto path = ggtest::data_file(GetParam());
  std::vector<uint8_t> expected = wtest::read_bytes(path);
  if (ggtest::expected_for(GetParam())["version"] == 2)
    expected[4] = 3;
  const weightio::Weights w = weightio::load_weights(path);
  weightio::SaveOptions so;
  so.format = "gguf";
  so.metadata = w.metadata;
  const auto written = weightio::save_weights_to_memory(w.views(), so);
  ASSERT_EQ(written.size(), expected.size());
  EXPECT_TRUE(written == expected)
      << "first difference at byte "
      << std::mismatch(written.begin(), written.end(), expected.begin()).first - written.begin();
}

INSTANTIATE_TEST_SUITE_P(GgufReference, GgufPluginWriteBack,
                         ::testing::ValuesIn(little_endian_valid_files()),
                         [](const auto &info) { return info.param.substr(0, 3); });

class GgufPluginMalformed : public ::testing::TestWithParam<std::string> {};

TEST_P(GgufPluginMalformed, CliRefusesNamingFileAndReason) {
  const auto path = ggtest::data_file(GetParam());
  std::string reason;
  try {
    weightio::gguf::parse(wtest::read_bytes(path));
  } catch (const weightio::gguf::FormatError &e) {
    reason = e.what();
  }
  ASSERT_FALSE(reason.empty()) << "the internals accept " << GetParam();
  for (const char *command : {"inspect", "verify"}) {
    const auto r = wcli_test::run_cli({command, path.string()});
    EXPECT_EQ(r.exit_code, 1) << command << ": " << r.err;
    EXPECT_NE(r.err.find(GetParam()), std::string::npos) << r.err;
    // The reason up to the first name from the file (which may be escaped).
    const std::string head = reason.substr(0, reason.find('\''));
    EXPECT_NE(r.err.find(head), std::string::npos) << r.err << "\nlacks: " << head;
  }
  EXPECT_THROW(weightio::load_weights(path), weightio::FormatError);
}

INSTANTIATE_TEST_SUITE_P(GgufReference, GgufPluginMalformed,
                         ::testing::ValuesIn(ggtest::reference_files("b")),
                         [](const auto &info) { return info.param.substr(0, 3); });

TEST(GgufPlugin, BigEndianFileLoadsLittleEndianAndSavesAsTheLittleEndianFile) {
  const weightio::Weights w = weightio::load_weights(ggtest::data_file("g14_big_endian.gguf"));
  const weightio::Tensor &f32 = w.at("be.f32");
  const json e = ggtest::expected_for("g14_big_endian.gguf");
  EXPECT_EQ(f32.data<float>()[0], e["tensors"][0]["dequant_f32_head"][0].get<float>());
  weightio::SaveOptions so;
  so.format = "gguf";
  so.metadata = w.metadata;
  const auto written = weightio::save_weights_to_memory(w.views(), so);
  const weightio::Weights back = weightio::load_weights_from_memory(written, {});
  EXPECT_EQ(back.metadata, w.metadata);
  EXPECT_TRUE(wcli_test::same_tensors(back, w));
  EXPECT_EQ(written[4], 3); // little-endian version field
}

// A big-endian GGUF file made here byte by byte (the layout of gguf-py's
// big-endian writer: every header field and plain element big-endian), with
// tensors large enough that the host splits their byte swap into parts.
std::vector<uint8_t> big_endian_gguf(const std::vector<uint32_t> &f32_bits,
                                     const std::vector<uint16_t> &i16) {
  std::vector<uint8_t> out{'G', 'G', 'U', 'F'};
  auto be = [&](uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i)
      out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  be(3, 4); // version
  be(2, 8); // tensors
  be(0, 8); // metadata entries
  uint64_t offset = 0;
  auto info = [&](const std::string &name, uint64_t n, uint32_t ggml_type, uint64_t bytes) {
    be(name.size(), 8);
    out.insert(out.end(), name.begin(), name.end());
    be(1, 4); // one dimension
    be(n, 8);
    be(ggml_type, 4);
    be(offset, 8);
    offset += (bytes + 31) / 32 * 32;
  };
  info("big.f32", f32_bits.size(), 0, f32_bits.size() * 4); // GGML_TYPE_F32
  info("big.i16", i16.size(), 25, i16.size() * 2);          // GGML_TYPE_I16
  out.resize((out.size() + 31) / 32 * 32, 0);
  for (uint32_t v : f32_bits)
    be(v, 4);
  out.resize((out.size() + 31) / 32 * 32, 0);
  for (uint16_t v : i16)
    be(v, 2);
  return out;
}

TEST(GgufPlugin, BigEndianTensorsSplitAcrossThreadsLoadTheValuesWritten) {
  // 6 MiB and 5 MiB: over the host's 4 MiB part, so the swaps are split.
  std::vector<uint32_t> f32_bits(3 << 19);
  for (size_t i = 0; i < f32_bits.size(); ++i)
    f32_bits[i] = std::bit_cast<uint32_t>(static_cast<float>(i) * 0.5f - 1000.0f);
  std::vector<uint16_t> i16((5 << 20) / 2 + 3);
  for (size_t i = 0; i < i16.size(); ++i)
    i16[i] = static_cast<uint16_t>(i * 40503u);
  wtest::TempDir dir;
  const auto path = dir / "be.gguf";
  const auto bytes = big_endian_gguf(f32_bits, i16);
  wtest::write_bytes(path, bytes);
  for (unsigned threads : {1u, 2u, 8u}) {
    SCOPED_TRACE(threads);
    weightio::LoadOptions lo;
    lo.threads = threads;
    for (bool read_in : {false, true}) {
      lo.read_into_memory = read_in;
      const weightio::Weights w = weightio::load_weights(path, lo);
      const weightio::Tensor &f = w.at("big.f32");
      ASSERT_EQ(f.dtype(), weightio::DType::F32);
      ASSERT_EQ(f.nbytes(), f32_bits.size() * 4);
      EXPECT_EQ(std::memcmp(f.data(), f32_bits.data(), f.nbytes()), 0);
      const weightio::Tensor &s = w.at("big.i16");
      ASSERT_EQ(s.dtype(), weightio::DType::I16);
      ASSERT_EQ(s.nbytes(), i16.size() * 2);
      EXPECT_EQ(std::memcmp(s.data(), i16.data(), s.nbytes()), 0);
    }
  }
}

weightio::SaveOptions gguf_save() {
  weightio::SaveOptions so;
  so.format = "gguf";
  return so;
}

TEST(GgufPlugin, LimitsAreRefusedBeforeWriting) {
  wtest::TempDir dir;
  std::vector<float> values(32, 1.0f);
  {
    weightio::FlatParams p;
    p.emplace("five", weightio::TensorView(DType::F32, {1, 2, 2, 2, 4}, values.data()));
    EXPECT_THROW(weightio::save_weights(dir / "a.gguf", p), weightio::UnsupportedError);
    EXPECT_FALSE(std::filesystem::exists(dir / "a.gguf"));
  }
  {
    weightio::FlatParams p;
    p.emplace(std::string(64, 'n'), weightio::TensorView(DType::F32, {32}, values.data()));
    EXPECT_THROW(weightio::save_weights(dir / "a.gguf", p), weightio::UnsupportedError);
    EXPECT_FALSE(std::filesystem::exists(dir / "a.gguf"));
    weightio::FlatParams ok;
    ok.emplace(std::string(63, 'n'), weightio::TensorView(DType::F32, {32}, values.data()));
    EXPECT_NO_THROW(weightio::save_weights(dir / "a.gguf", ok));
  }
  {
    weightio::FlatParams p;
    p.emplace("zero", weightio::TensorView(DType::F32, {0, 4}, values.data()));
    EXPECT_THROW(weightio::save_weights(dir / "b.gguf", p), weightio::UnsupportedError);
    EXPECT_FALSE(std::filesystem::exists(dir / "b.gguf"));
  }
}

TEST(GgufPlugin, AlignmentOptionIsWrittenAndMetadataMustAgree) {
  std::vector<float> values(3, 2.0f);
  weightio::FlatParams p;
  p.emplace("a", weightio::TensorView(DType::F32, {3}, values.data()));
  p.emplace("b", weightio::TensorView(DType::F32, {3}, values.data()));
  weightio::SaveOptions so = gguf_save();
  so.format_options["alignment"] = "64";
  const auto bytes = weightio::save_weights_to_memory(p, so);
  const weightio::gguf::File f = weightio::gguf::parse(bytes);
  EXPECT_EQ(f.alignment, 64u);
  EXPECT_EQ(f.tensors[1].offset, 64u);
  const weightio::Weights w = weightio::load_weights_from_memory(bytes, {});
  EXPECT_EQ(w.metadata.at("general.alignment"),
            weightio::Value::unsigned_integer(weightio::ValueType::U32, 64));

  // Default 0: the metadata's value is used.
  weightio::SaveOptions from_metadata = gguf_save();
  from_metadata.metadata.set("general.alignment",
                             weightio::Value::unsigned_integer(weightio::ValueType::U32, 128));
  EXPECT_EQ(weightio::gguf::parse(weightio::save_weights_to_memory(p, from_metadata)).alignment,
            128u);

  weightio::SaveOptions disagree = from_metadata;
  disagree.format_options["alignment"] = "64";
  EXPECT_THROW(weightio::save_weights_to_memory(p, disagree), weightio::UnsupportedError);
  weightio::SaveOptions not_power = gguf_save();
  not_power.format_options["alignment"] = "48";
  EXPECT_THROW(weightio::save_weights_to_memory(p, not_power), weightio::UnsupportedError);
}

// Every value type survives a save and a load with its width.
TEST(GgufPlugin, TypedMetadataRoundTripsInOrder) {
  using weightio::Value;
  using weightio::ValueType;
  weightio::SaveOptions so = gguf_save();
  so.metadata.set("z.i8", Value::integer(ValueType::I8, -5));
  so.metadata.set("a.u64", Value::unsigned_integer(ValueType::U64, UINT64_MAX));
  so.metadata.set("m.f32", Value::f32(-0.0f));
  so.metadata.set("m.bool", Value(true));
  so.metadata.set("m.strs", Value::array(ValueType::String, {Value("x"), Value("")}));
  so.metadata.set("m.nested",
                  Value::array(ValueType::Array,
                               {Value::array(ValueType::I16, {Value::integer(ValueType::I16, -2)}),
                                Value::array(ValueType::I16, {})}));
  std::vector<int32_t> v{1, 2, 3, 4};
  weightio::FlatParams p;
  p.emplace("t", weightio::TensorView(DType::I32, {2, 2}, v.data()));
  const auto bytes = weightio::save_weights_to_memory(p, so);
  const weightio::Weights w = weightio::load_weights_from_memory(bytes, {});
  EXPECT_EQ(w.metadata, so.metadata);
  EXPECT_EQ(w.at("t").shape(), (weightio::Shape{2, 2}));
  // Deterministic: the same input, the same bytes.
  EXPECT_EQ(weightio::save_weights_to_memory(p, so), bytes);
}

// Q8_1 has no reference dequantization: dequantizing it is refused, naming it.
TEST(GgufPlugin, DequantizingQ8_1IsRefusedNamingTensorAndType) {
  namespace g = weightio::gguf;
  const auto *q8_1 = g::ggml::find_type("Q8_1");
  ASSERT_NE(q8_1, nullptr);
  std::vector<uint8_t> block(q8_1->block_bytes, 0);
  std::vector<g::TensorToWrite> tensors(1);
  tensors[0].name = "act.q";
  tensors[0].shape = {q8_1->block_elems};
  tensors[0].type = q8_1;
  tensors[0].data = block.data();
  tensors[0].nbytes = block.size();
  std::vector<uint8_t> file;
  g::write({}, tensors, 32, [&](const void *d, size_t n) {
    file.insert(file.end(), static_cast<const uint8_t *>(d), static_cast<const uint8_t *>(d) + n);
  });
  EXPECT_EQ(weightio::load_weights_from_memory(file, {}).at("act.q").block_type()->name,
            "ggml.Q8_1");
  weightio::LoadOptions o;
  o.format = "gguf";
  o.format_options["dequantize"] = "f16";
  try {
    weightio::load_weights_from_memory(file, o);
    FAIL() << "Q8_1 was dequantized";
  } catch (const weightio::Error &e) {
    EXPECT_NE(std::string(e.what()).find("'act.q'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Q8_1"), std::string::npos) << e.what();
  }
}

TEST(GgufPlugin, BinFileHoldingGgufLoadsByProbe) {
  wtest::TempDir dir;
  std::filesystem::copy_file(ggtest::data_file("g10_llama.gguf"), dir / "model.bin");
  const weightio::Weights w = weightio::load_weights(dir / "model.bin");
  EXPECT_EQ(w.format, "gguf");
  EXPECT_EQ(w.size(), ggtest::expected_for("g10_llama.gguf")["tensors"].size());
}

TEST(GgufCli, ConvertToSafetensorsNeedsDequantizeThenDiffAgrees) {
  wtest::TempDir dir;
  const std::string in = ggtest::data_file("g05_quantize.gguf").string();
  const std::string out = (dir / "y.safetensors").string();
  auto r = wcli_test::run_cli({"convert", in, out});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("'q4_0'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--dequantize"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));

  r = wcli_test::run_cli({"convert", "--dequantize", "f32", in, out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = wcli_test::run_cli({"diff", "--dequantize", "f32", in, out});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no differences"), std::string::npos) << r.out;
  // Without dequantizing, the blocks differ from the floats.
  r = wcli_test::run_cli({"diff", in, out});
  EXPECT_NE(r.exit_code, 0) << r.out;
}

TEST(GgufCli, ConvertGgufToGgufIsByteIdentical) {
  wtest::TempDir dir;
  for (const char *name : {"g07_iquants_raw.gguf", "g10_llama.gguf", "g11_alignment64.gguf"}) {
    const auto out = dir / name;
    const auto r = wcli_test::run_cli({"convert", ggtest::data_file(name).string(), out.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(wtest::read_bytes(out) == wtest::read_bytes(ggtest::data_file(name))) << name;
  }
}

} // namespace

namespace {

// safetensors -> GGUF -> safetensors through the CLI keeps every tensor of a
// type both formats hold: names, order, dtypes, shapes and bytes, and the
// string metadata.
TEST(GgufCli, SafetensorsToGgufToSafetensorsKeepsEveryTensor) {
  wtest::TempDir dir;
  std::vector<uint8_t> bytes(2 * 2 * 2 * 2 * 8);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<uint8_t>(i * 37 + 11);
  weightio::FlatParams p;
  p.emplace("model.embed.weight", weightio::TensorView(DType::F32, {2, 3}, bytes.data()));
  p.emplace("h16", weightio::TensorView(DType::F16, {5}, bytes.data()));
  p.emplace("bf", weightio::TensorView(DType::BF16, {2, 2, 2, 2}, bytes.data()));
  p.emplace("d", weightio::TensorView(DType::F64, {3}, bytes.data()));
  p.emplace("i8", weightio::TensorView(DType::I8, {7}, bytes.data()));
  p.emplace("i16", weightio::TensorView(DType::I16, {1, 4}, bytes.data()));
  p.emplace("i32", weightio::TensorView(DType::I32, {3, 1}, bytes.data()));
  p.emplace("i64", weightio::TensorView(DType::I64, {2}, bytes.data()));
  weightio::SaveOptions so;
  so.metadata["format"] = "pt";
  const auto a = dir / "a.safetensors", b = dir / "b.gguf", c = dir / "c.safetensors";
  weightio::save_weights(a, p, so);

  auto r = wcli_test::run_cli({"convert", a.string(), b.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = wcli_test::run_cli({"convert", b.string(), c.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const weightio::Weights in = weightio::load_weights(a);
  const weightio::Weights mid = weightio::load_weights(b);
  const weightio::Weights out = weightio::load_weights(c);
  EXPECT_EQ(mid.format, "gguf");
  ASSERT_EQ(out.size(), in.size());
  auto it = out.begin();
  for (const auto &[name, t] : in) {
    const auto &[out_name, u] = *it++;
    EXPECT_EQ(out_name, name);
    EXPECT_EQ(u.dtype(), t.dtype()) << name;
    EXPECT_EQ(u.shape(), t.shape()) << name;
    ASSERT_EQ(u.nbytes(), t.nbytes()) << name;
    EXPECT_EQ(std::memcmp(u.data(), t.data(), t.nbytes()), 0) << name;
    EXPECT_EQ(mid.at(name).shape(), t.shape()) << name;
  }
  EXPECT_EQ(out.metadata, so.metadata);
  EXPECT_EQ(mid.metadata, so.metadata); // default alignment 32: no general.alignment written
  // `diff` agrees there is nothing between the ends.
  r = wcli_test::run_cli({"diff", a.string(), c.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

} // namespace
