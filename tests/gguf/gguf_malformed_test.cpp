// Hostile and malformed GGUF input: every malformed reference file is
// refused with a message naming the field and the reason; truncating or
// corrupting the valid ones never makes the parser read out of bounds,
// allocate by a claimed count, or fail any other way than FormatError.
#include "gguf_test_util.hpp"

#include "gguf_parse.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace weightio::gguf;

namespace {

// What each malformed file's refusal must say: its field and reason.
const std::map<std::string, std::vector<std::string>> kReasons = {
    {"b01_bad_magic.gguf", {"not a GGUF file", "'GGML'"}},
    {"b02_version_0.gguf", {"unsupported GGUF version 0"}},
    {"b03_version_1.gguf", {"GGUF version 1 is not supported"}},
    {"b04_version_4.gguf", {"unsupported GGUF version 4"}},
    {"b05_trunc_header.gguf", {"truncated: header: kv_count"}},
    {"b06_trunc_kv.gguf", {"truncated: kv_count 4 cannot fit in the 42 bytes after the header"}},
    {"b07_trunc_tensor_info.gguf", {"truncated: tensor[1]", "dimension"}},
    {"b08_trunc_tensor_data.gguf", {"tensor[2]", "beyond the end of the file"}},
    {"b09_tensor_count_huge.gguf", {"tensor_count 4611686018427387904 cannot fit"}},
    {"b10_string_len_huge.gguf", {"truncated: kv[0] 'general.name'", "needs 1099511627776 bytes"}},
    {"b11_unknown_value_type.gguf", {"kv[0] 'general.name'", "unknown value type 13"}},
    {"b12_nested_arrays_deep.gguf", {"kv[0] 'test.deep'", "arrays nested deeper than 32"}},
    {"b13_unknown_ggml_type.gguf", {"tensor[0] 'first'", "unknown ggml type 99"}},
    {"b14_ndims_0.gguf", {"tensor[0]", "n_dims is 0"}},
    {"b15_ndims_5.gguf", {"tensor[0] 'five'", "n_dims is 5"}},
    {"b16_dim_zero.gguf", {"tensor[0]", "ne[1] is 0"}},
    {"b17_dims_overflow.gguf", {"tensor[0] 'huge'", "overflows int64"}},
    {"b18_offset_misaligned.gguf",
     {"tensor[1] 'second'", "offset 80 is not a multiple of the alignment 32"}},
    {"b19_offset_beyond_eof.gguf", {"tensor[2] 'third'", "beyond the end of the file"}},
    {"b20_tensors_overlap.gguf", {"'second'", "overlaps", "'first'"}},
    {"b21_duplicate_tensor_names.gguf", {"duplicate tensor name 'w'", "tensor[0] and tensor[1]"}},
    {"b22_duplicate_keys.gguf", {"duplicate metadata key 'general.name'", "kv[0] and kv[1]"}},
    {"b23_alignment_0.gguf", {"general.alignment is 0, not a non-zero power of two"}},
    {"b24_alignment_3.gguf", {"general.alignment is 3, not a non-zero power of two"}},
    {"b25_alignment_string.gguf", {"general.alignment must be a UINT32", "STRING"}},
    {"b26_quant_rowsize.gguf",
     {"tensor[0] 'q'", "ne[0] 48 is not a multiple of the Q4_0 block size 32"}},
    {"b27_empty_file.gguf", {"not a GGUF file", "0-byte file"}},
    {"b28_bool_invalid.gguf", {"kv[0] 'test.flag'", "BOOL byte 255 is neither 0 nor 1"}},
    {"b29_name_too_long.gguf", {"tensor[0]", "name is 65 bytes (max 64)"}},
    {"b30_key_non_ascii.gguf", {"kv[0]", "key is not ASCII"}},
};

class MalformedFile : public ::testing::TestWithParam<std::string> {};

TEST_P(MalformedFile, IsRefusedNamingTheReason) {
  const std::string name = GetParam();
  ASSERT_FALSE(ggtest::expected_for(name)["valid"].get<bool>());
  const auto reasons = kReasons.find(name);
  ASSERT_NE(reasons, kReasons.end()) << "no expected reason listed for " << name;
  const auto bytes = wtest::read_bytes(ggtest::data_file(name));
  try {
    parse(bytes);
    FAIL() << name << " was accepted";
  } catch (const FormatError &e) {
    const std::string message = e.what();
    for (const auto &part : reasons->second)
      EXPECT_NE(message.find(part), std::string::npos)
          << "message \"" << message << "\" lacks \"" << part << "\"";
    const bool version_file = name.find("version") != std::string::npos;
    const bool magic_file = name == "b01_bad_magic.gguf" || name == "b27_empty_file.gguf";
    EXPECT_EQ(e.kind(), magic_file     ? FormatError::Kind::not_gguf
                        : version_file ? FormatError::Kind::unsupported
                                       : FormatError::Kind::invalid);
  }
}

INSTANTIATE_TEST_SUITE_P(GgufReference, MalformedFile,
                         ::testing::ValuesIn(ggtest::reference_files("b")), [](const auto &info) {
                           return info.param.substr(0, info.param.find('.'));
                         });

// Parses `bytes`, accepting success or FormatError and nothing else.
void parse_or_refuse(const std::vector<uint8_t> &bytes) {
  try {
    parse(bytes);
  } catch (const FormatError &) {
  }
}

// Every prefix of every valid file: the cursor's bounds checks catch each
// cut (under ASan any read past the copy would abort).
TEST(GgufHostile, EveryTruncationOfEveryValidFileIsHandled) {
  for (const auto &name : ggtest::reference_files("g")) {
    SCOPED_TRACE(name);
    const auto bytes = wtest::read_bytes(ggtest::data_file(name));
    for (size_t n = 0; n < bytes.size(); ++n) {
      // A copy of exactly n bytes, so that reading on would leave the buffer.
      const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
      ASSERT_NO_FATAL_FAILURE(parse_or_refuse(cut));
    }
    // Files whose last tensor has bytes cannot lose them unnoticed.
    const File whole = parse(bytes);
    bool has_data = false;
    for (const auto &t : whole.tensors)
      has_data = has_data || t.nbytes != 0;
    if (has_data) {
      const std::vector<uint8_t> cut(bytes.begin(),
                                     bytes.end() - static_cast<ptrdiff_t>(whole.alignment + 1));
      EXPECT_THROW(parse(cut), FormatError);
    }
  }
}

// Every header byte of every valid file set to values that make counts,
// lengths and types extreme.
TEST(GgufHostile, CorruptedHeaderBytesAreHandled) {
  for (const auto &name : ggtest::reference_files("g")) {
    SCOPED_TRACE(name);
    auto bytes = wtest::read_bytes(ggtest::data_file(name));
    const uint64_t header_end = parse(bytes).data_offset;
    for (uint64_t i = 0; i < header_end && i < bytes.size(); ++i) {
      const uint8_t saved = bytes[i];
      for (uint8_t v : {uint8_t{0x00}, uint8_t{0x01}, uint8_t{0x09}, uint8_t{0x7F}, uint8_t{0x80},
                        uint8_t{0xFF}}) {
        bytes[i] = v;
        ASSERT_NO_FATAL_FAILURE(parse_or_refuse(bytes));
      }
      bytes[i] = saved;
    }
  }
}

std::vector<uint8_t> le_bytes(std::initializer_list<std::pair<uint64_t, int>> fields) {
  std::vector<uint8_t> out;
  for (auto [value, width] : fields)
    for (int i = 0; i < width; ++i)
      out.push_back(static_cast<uint8_t>(value >> (8 * i)));
  return out;
}

// A header claiming a 2^40-item array in a tiny file is refused before any
// item is read or any memory reserved for them.
TEST(GgufHostile, HugeArrayCountIsRefusedUpFront) {
  auto file = le_bytes({{0x46554747, 4}, {3, 4}, {0, 8}, {1, 8}, {3, 8}});
  file.insert(file.end(), {'a', '.', 'b'});
  const auto rest = le_bytes({{9, 4}, {0, 4}, {uint64_t{1} << 40, 8}, {0, 8}});
  file.insert(file.end(), rest.begin(), rest.end());
  try {
    parse(file);
    FAIL() << "accepted";
  } catch (const FormatError &e) {
    EXPECT_NE(std::string(e.what()).find("array of 1099511627776 UINT8 items"), std::string::npos)
        << e.what();
  }
}

// The nesting limit counts levels: 32 nested arrays read, 33 do not.
TEST(GgufHostile, ArrayNestingLimitIsExact) {
  for (uint32_t levels : {32u, 33u}) {
    auto file = le_bytes({{0x46554747, 4}, {3, 4}, {0, 8}, {1, 8}, {1, 8}});
    file.push_back('k');
    const auto type = le_bytes({{9, 4}});
    file.insert(file.end(), type.begin(), type.end());
    for (uint32_t l = 1; l < levels; ++l) { // each: item type ARRAY, count 1
      const auto a = le_bytes({{9, 4}, {1, 8}});
      file.insert(file.end(), a.begin(), a.end());
    }
    const auto innermost = le_bytes({{4, 4}, {1, 8}, {7, 4}}); // [UINT32 7]
    file.insert(file.end(), innermost.begin(), innermost.end());
    file.resize((file.size() + 31) / 32 * 32, 0); // the data section's padding
    if (levels == 32) {
      const File f = parse(file);
      const Value *v = &f.metadata.at(0).value;
      for (uint32_t l = 1; l < levels; ++l)
        v = &v->arrays.at(0);
      EXPECT_EQ(v->item_type, ValueType::UINT32);
      EXPECT_EQ(v->item_bits(0), 7u);
    } else {
      EXPECT_THROW(parse(file), FormatError);
    }
  }
}

} // namespace
