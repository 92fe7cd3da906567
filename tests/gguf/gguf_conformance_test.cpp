// weightio's GGUF parser and dequantizers against gguf-py: every valid
// reference file (written by gguf-py's GGUFWriter) reads with exactly the
// header, typed metadata, tensor infos and bytes gguf-py's reader reports,
// and every tensor gguf-py (and ggml) can dequantize gives float32 values
// with the SHA-256 they got.
#include "gguf_test_util.hpp"

#include "ggml/dequantize.hpp"
#include "gguf_parse.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

using namespace weightio::gguf;
using nlohmann::json;

namespace {

class ValidFile : public ::testing::TestWithParam<std::string> {};

std::vector<float> dequantize_f32(const File &f, const TensorInfo &t,
                                  const std::vector<uint8_t> &bytes) {
  std::vector<float> out(t.n_elements);
  ggml::dequantize(*t.type, bytes.data() + f.data_offset + t.offset, 0,
                   t.n_elements / t.type->block_elems, out.data(), ggml::OutType::f32,
                   f.byte_order);
  return out;
}

TEST_P(ValidFile, ReadsAsGgufPyDoes) {
  const std::string name = GetParam();
  const auto bytes = wtest::read_bytes(ggtest::data_file(name));
  const json e = ggtest::expected_for(name);
  ASSERT_TRUE(e["valid"].get<bool>());

  const File f = parse(bytes);
  EXPECT_EQ(f.version, e["version"].get<uint32_t>());
  EXPECT_EQ(f.alignment, e["alignment"].get<uint32_t>());
  EXPECT_EQ(f.data_offset, e["tensor_data_offset"].get<uint64_t>());
  EXPECT_EQ(f.file_size, e["file_size"].get<uint64_t>());
  EXPECT_EQ(f.byte_order == weightio::sdk::ByteOrder::big ? "big" : "little",
            e["byte_order"].get<std::string>());

  ASSERT_EQ(f.metadata.size(), e["kv_count"].get<uint64_t>());
  ASSERT_EQ(f.metadata.size(), e["metadata"].size());
  for (size_t i = 0; i < f.metadata.size(); ++i)
    EXPECT_EQ(ggtest::to_expected_json(f.metadata[i]), e["metadata"][i]) << "kv[" << i << "]";

  ASSERT_EQ(f.tensors.size(), e["tensor_count"].get<uint64_t>());
  ASSERT_EQ(f.tensors.size(), e["tensors"].size());
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    const TensorInfo &t = f.tensors[i];
    const json &x = e["tensors"][i];
    SCOPED_TRACE("tensor[" + std::to_string(i) + "] " + t.name);
    EXPECT_EQ(t.name, x["name"].get<std::string>());
    EXPECT_EQ(t.type->name, x["ggml_type"]["name"].get<std::string>());
    EXPECT_EQ(ggml::id_of(t.type->type), x["ggml_type"]["id"].get<uint32_t>());
    EXPECT_EQ(t.ne, x["ne"].get<std::vector<uint64_t>>());
    EXPECT_EQ(t.shape, x["shape"].get<std::vector<uint64_t>>());
    EXPECT_EQ(t.n_elements, x["n_elements"].get<uint64_t>());
    EXPECT_EQ(t.offset, x["offset"].get<uint64_t>());
    ASSERT_EQ(t.nbytes, x["nbytes"].get<uint64_t>());
    ASSERT_LE(f.data_offset + t.offset + t.nbytes, bytes.size());
    EXPECT_EQ(wtest::sha256_hex(bytes.data() + f.data_offset + t.offset, t.nbytes),
              x["sha256"].get<std::string>());
    if (x.contains("dequant_f32_sha256")) {
      ASSERT_TRUE(t.type->dequantizable);
      const auto values = dequantize_f32(f, t, bytes);
      EXPECT_EQ(ggtest::sha256_of_floats(values), x["dequant_f32_sha256"].get<std::string>());
      const auto head = x["dequant_f32_head"].get<std::vector<double>>();
      for (size_t k = 0; k < head.size() && k < values.size(); ++k)
        EXPECT_EQ(static_cast<double>(values[k]), head[k]) << "value " << k;
    }
  }
}

// Decoding a tensor in pieces (as a host's threads do) writes exactly what
// decoding it whole writes, into the same places, and nothing outside the
// piece asked for.
TEST_P(ValidFile, BlockRangesDecodeLikeTheWhole) {
  const auto bytes = wtest::read_bytes(ggtest::data_file(GetParam()));
  const File f = parse(bytes);
  for (const TensorInfo &t : f.tensors) {
    if (!t.type->dequantizable || t.n_elements == 0)
      continue;
    SCOPED_TRACE(t.name);
    const uint64_t nblocks = t.n_elements / t.type->block_elems;
    const auto whole = dequantize_f32(f, t, bytes);
    const uint8_t *src = bytes.data() + f.data_offset + t.offset;
    for (auto out : {ggml::OutType::f32, ggml::OutType::f16, ggml::OutType::bf16}) {
      const size_t esize = ggml::out_size(out);
      std::vector<uint8_t> all(t.n_elements * esize);
      ggml::dequantize(*t.type, src, 0, nblocks, all.data(), out, f.byte_order);
      std::vector<uint8_t> pieces(all.size(), 0xAB);
      const uint64_t step = nblocks / 3 + 1;
      for (uint64_t b = nblocks; b > 0;) { // back to front, uneven pieces
        const uint64_t first = b > step ? b - step : 0;
        ggml::dequantize(*t.type, src, first, b - first, pieces.data(), out, f.byte_order);
        // Nothing below the piece written yet.
        const size_t below = first * t.type->block_elems * esize;
        EXPECT_TRUE(std::all_of(pieces.begin(), pieces.begin() + below,
                                [](uint8_t c) { return c == 0xAB; }));
        b = first;
      }
      EXPECT_EQ(pieces, all);
      if (out == ggml::OutType::f32) {
        EXPECT_EQ(std::memcmp(all.data(), whole.data(), all.size()), 0);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(GgufReference, ValidFile,
                         ::testing::ValuesIn(ggtest::reference_files("g")), [](const auto &info) {
                           return info.param.substr(0, info.param.find('.'));
                         });

TEST(GgufReference, ManifestListsEveryFile) {
  EXPECT_EQ(ggtest::reference_files("g").size(), 16u);
  EXPECT_EQ(ggtest::reference_files("b").size(), 30u);
}

} // namespace
