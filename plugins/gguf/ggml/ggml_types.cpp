#include "ggml_types.hpp"

#include <array>

namespace weightio::gguf::ggml {

namespace {

constexpr uint32_t QK_K = 256; // super-block of the K, IQ and TQ types

// Block sizes are ggml-common.h's block structs (their static_asserts spell
// out the byte counts used here).
constexpr std::array kTypes{
    TypeInfo{Type::F32, "F32", 1, 4, Kind::floating, true},
    TypeInfo{Type::F16, "F16", 1, 2, Kind::floating, true},
    TypeInfo{Type::Q4_0, "Q4_0", 32, 2 + 16, Kind::quantized, true},
    TypeInfo{Type::Q4_1, "Q4_1", 32, 2 * 2 + 16, Kind::quantized, true},
    TypeInfo{Type::Q5_0, "Q5_0", 32, 2 + 4 + 16, Kind::quantized, true},
    TypeInfo{Type::Q5_1, "Q5_1", 32, 2 * 2 + 4 + 16, Kind::quantized, true},
    TypeInfo{Type::Q8_0, "Q8_0", 32, 2 + 32, Kind::quantized, true},
    // ggml's block_q8_1 is two f16 and 32 int8 (36 bytes; gguf-py's
    // GGML_QUANT_SIZES says 40, the old float layout). ggml has no
    // dequantization for it: it only exists as a dot-product operand.
    TypeInfo{Type::Q8_1, "Q8_1", 32, 2 * 2 + 32, Kind::quantized, false},
    TypeInfo{Type::Q2_K, "Q2_K", QK_K, 2 * 2 + QK_K / 16 + QK_K / 4, Kind::quantized, true},
    TypeInfo{Type::Q3_K, "Q3_K", QK_K, 2 + QK_K / 4 + QK_K / 8 + 12, Kind::quantized, true},
    TypeInfo{Type::Q4_K, "Q4_K", QK_K, 2 * 2 + 12 + QK_K / 2, Kind::quantized, true},
    TypeInfo{Type::Q5_K, "Q5_K", QK_K, 2 * 2 + 12 + QK_K / 2 + QK_K / 8, Kind::quantized, true},
    TypeInfo{Type::Q6_K, "Q6_K", QK_K, 2 + QK_K / 16 + 3 * QK_K / 4, Kind::quantized, true},
    TypeInfo{Type::Q8_K, "Q8_K", QK_K, 4 + QK_K + QK_K / 16 * 2, Kind::quantized, true},
    TypeInfo{Type::IQ2_XXS, "IQ2_XXS", QK_K, 2 + QK_K / 8 * 2, Kind::quantized, true},
    TypeInfo{Type::IQ2_XS, "IQ2_XS", QK_K, 2 + QK_K / 8 * 2 + QK_K / 32, Kind::quantized, true},
    TypeInfo{Type::IQ3_XXS, "IQ3_XXS", QK_K, 2 + 3 * (QK_K / 8), Kind::quantized, true},
    TypeInfo{Type::IQ1_S, "IQ1_S", QK_K, 2 + QK_K / 8 + QK_K / 16, Kind::quantized, true},
    TypeInfo{Type::IQ4_NL, "IQ4_NL", 32, 2 + 16, Kind::quantized, true},
    TypeInfo{Type::IQ3_S, "IQ3_S", QK_K, 2 + 13 * (QK_K / 32) + QK_K / 64, Kind::quantized, true},
    TypeInfo{Type::IQ2_S, "IQ2_S", QK_K, 2 + QK_K / 4 + QK_K / 16, Kind::quantized, true},
    TypeInfo{Type::IQ4_XS, "IQ4_XS", QK_K, 2 + 2 + QK_K / 64 + QK_K / 2, Kind::quantized, true},
    TypeInfo{Type::I8, "I8", 1, 1, Kind::integer, false},
    TypeInfo{Type::I16, "I16", 1, 2, Kind::integer, false},
    TypeInfo{Type::I32, "I32", 1, 4, Kind::integer, false},
    TypeInfo{Type::I64, "I64", 1, 8, Kind::integer, false},
    TypeInfo{Type::F64, "F64", 1, 8, Kind::floating, true},
    TypeInfo{Type::IQ1_M, "IQ1_M", QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32, Kind::quantized, true},
    TypeInfo{Type::BF16, "BF16", 1, 2, Kind::floating, true},
    TypeInfo{Type::TQ1_0, "TQ1_0", QK_K, 2 + QK_K / 64 + (QK_K - 4 * QK_K / 64) / 5,
             Kind::quantized, true},
    TypeInfo{Type::TQ2_0, "TQ2_0", QK_K, 2 + QK_K / 4, Kind::quantized, true},
    TypeInfo{Type::MXFP4, "MXFP4", 32, 1 + 16, Kind::quantized, true},
    TypeInfo{Type::NVFP4, "NVFP4", 64, 4 + 32, Kind::quantized, true},
    TypeInfo{Type::Q1_0, "Q1_0", 128, 2 + 128 / 8, Kind::quantized, true},
    TypeInfo{Type::Q2_0, "Q2_0", 64, 2 + 64 / 4, Kind::quantized, true},
};

constexpr uint32_t kMaxId = 42;

constexpr std::array<int8_t, kMaxId + 1> make_index() {
  std::array<int8_t, kMaxId + 1> index{};
  for (auto &slot : index)
    slot = -1;
  for (size_t i = 0; i < kTypes.size(); ++i)
    index[static_cast<uint32_t>(kTypes[i].type)] = static_cast<int8_t>(i);
  return index;
}

constexpr auto kIndex = make_index();

} // namespace

const TypeInfo *find_type(uint32_t id) noexcept {
  if (id > kMaxId || kIndex[id] < 0)
    return nullptr;
  return &kTypes[static_cast<size_t>(kIndex[id])];
}

const TypeInfo *find_type(std::string_view name) noexcept {
  for (const auto &t : kTypes)
    if (t.name == name)
      return &t;
  return nullptr;
}

std::span<const TypeInfo> all_types() noexcept {
  return kTypes;
}

} // namespace weightio::gguf::ggml
