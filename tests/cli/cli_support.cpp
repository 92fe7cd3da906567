#include "cli_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace wcli_test {

using weightio::DType;

wtest::CommandResult run_cli(const std::vector<std::string> &args,
                             const std::vector<std::string> &env) {
  std::vector<std::string> argv{WEIGHTIO_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  return wtest::run_command(argv, env);
}

namespace {

uint64_t splitmix(uint64_t &s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float uniform(uint64_t &s) {
  return static_cast<float>(splitmix(s) >> 40) / static_cast<float>(1 << 24) * 2.0f - 1.0f;
}

uint16_t to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return static_cast<uint16_t>((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

// Values within [-1, 1) are normal or zero in half precision for the
// magnitudes a 24-bit uniform draw gives; exponent and mantissa by hand.
uint16_t to_f16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const int exp = static_cast<int>((bits >> 23) & 0xFF) - 127 + 15;
  if (exp <= 0)
    return sign; // flush tiny values to zero
  return static_cast<uint16_t>(sign | (exp << 10) | ((bits >> 13) & 0x3FF));
}

} // namespace

weightio::Tensor &Model::add(const std::string &name, DType dtype, weightio::Shape shape,
                             uint64_t seed) {
  weightio::Tensor t = weightio::Tensor::zeros(dtype, std::move(shape));
  auto *p = static_cast<uint8_t *>(t.mutable_data());
  const uint64_t n = t.numel();
  uint64_t s = seed * 0x2545F4914F6CDD1Dull + 7;
  for (uint64_t i = 0; i < n; ++i) {
    switch (dtype) {
    case DType::F32: {
      const float v = uniform(s);
      std::memcpy(p + 4 * i, &v, 4);
      break;
    }
    case DType::F64: {
      const double v = uniform(s);
      std::memcpy(p + 8 * i, &v, 8);
      break;
    }
    case DType::BF16: {
      const uint16_t v = to_bf16(uniform(s));
      std::memcpy(p + 2 * i, &v, 2);
      break;
    }
    case DType::F16: {
      const uint16_t v = to_f16(uniform(s));
      std::memcpy(p + 2 * i, &v, 2);
      break;
    }
    case DType::BOOL:
      p[i] = splitmix(s) & 1;
      break;
    default: { // integers (and raw bytes for anything else)
      const uint64_t v = splitmix(s);
      const size_t width = weightio::dtype_bits(dtype) / 8;
      std::memcpy(p + width * i, &v, width);
    }
    }
  }
  storage.push_back(t);
  params.emplace(name, storage.back().view());
  return storage.back();
}

weightio::Tensor &Model::at(const std::string &name) {
  size_t i = 0;
  for (const auto &entry : params) {
    if (entry.first == name)
      return storage[i];
    ++i;
  }
  throw std::out_of_range("no tensor '" + name + "' in the test model");
}

const weightio::Tensor &Model::at(const std::string &name) const {
  return const_cast<Model *>(this)->at(name);
}

Model mixed_model(uint64_t seed) {
  Model m;
  m.add("embed.weight", DType::F32, {32, 16}, seed + 1);
  for (int l = 0; l < 2; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    m.add(p + "attn.qkv.weight", DType::BF16, {48, 16}, seed + 10 + l);
    m.add(p + "mlp.up.weight", DType::F16, {64, 16}, seed + 20 + l);
    m.add(p + "norm.weight", DType::F32, {16}, seed + 30 + l);
  }
  m.add("head.scale", DType::F64, {}, seed + 40);
  m.add("tokens.ids", DType::I64, {5}, seed + 41);
  m.add("tokens.mask", DType::BOOL, {5}, seed + 42);
  m.add("quant.codes", DType::U8, {2, 3}, seed + 43);
  return m;
}

void save(const fs::path &path, const Model &model, const weightio::Metadata &metadata) {
  weightio::SaveOptions o;
  o.metadata = metadata;
  o.durable = false; // temp files: no need to wait for the disk
  weightio::save_weights(path, model.params, o);
}

Model copy_of(const weightio::Weights &w) {
  Model m;
  m.storage.reserve(w.size());
  for (const auto &[name, t] : w) {
    m.storage.push_back(weightio::Tensor::copy_of(t.view()));
    m.params.emplace(name, m.storage.back().view());
  }
  return m;
}

::testing::AssertionResult same_tensors(const weightio::Weights &a, const weightio::Weights &b) {
  if (a.size() != b.size())
    return ::testing::AssertionFailure() << a.size() << " vs " << b.size() << " tensors";
  for (const auto &[name, ta] : a) {
    const weightio::Tensor *tb = b.find(name);
    if (!tb)
      return ::testing::AssertionFailure() << "'" << name << "' missing from the second";
    if (ta.dtype() != tb->dtype() || ta.shape() != tb->shape())
      return ::testing::AssertionFailure() << "'" << name << "' has another dtype or shape";
    if (std::memcmp(ta.data(), tb->data(), ta.nbytes()) != 0)
      return ::testing::AssertionFailure() << "'" << name << "' has other bytes";
  }
  return ::testing::AssertionSuccess();
}

void write_example_files(const fs::path &dir) {
  const Model m = mixed_model(7);
  save(dir / "model.safetensors", m, {{"format", "mlx"}, {"source", "weightio docs"}});
  save(dir / "model.npz", m);

  // The same model with one value moved a little: diff finds it, and
  // --atol 0.01 accepts it.
  Model v2 = copy_of(weightio::load_weights(dir / "model.safetensors"));
  static_cast<float *>(v2.at("embed.weight").mutable_data())[17] += 0.001f;
  save(dir / "model-v2.safetensors", v2, {{"format", "mlx"}, {"source", "weightio docs"}});

  // One flipped bit in a tensor's data: the structure stays valid, so only
  // the CRC can tell.
  auto bytes = wtest::read_bytes(dir / "model.npz");
  const auto &embed = m.at("embed.weight");
  const auto *data = static_cast<const uint8_t *>(embed.data());
  auto it = std::search(bytes.begin(), bytes.end(), data, data + embed.nbytes());
  if (it == bytes.end())
    throw std::runtime_error("write_example_files: embed.weight's bytes are not in model.npz");
  it[100] ^= 0x40;
  wtest::write_bytes(dir / "corrupt.npz", bytes);
}

} // namespace wcli_test
