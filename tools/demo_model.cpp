#include "demo_model.hpp"

#include "exit_codes.hpp"

#include <bit>
#include <cmath>
#include <cstring>

namespace wcli {

using weightio::DType;
using weightio::ParamTree;

DemoConfig demo_config(const std::string &size) {
  // full: ~377 MB; small: ~0.2 MB.
  if (size == "full")
    return {"full", 32000, 1024, 8, 2816, 16, 4};
  if (size == "small")
    return {"small", 512, 64, 2, 176, 4, 2};
  throw CliError(kExitFailure, "unknown demo size '" + size + "' (expected small or full)");
}

namespace {

// SplitMix64: fast, seedable, and good enough for weights nobody trains.
class Rng {
public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Two uniform values in [-1, 1) from one draw.
  std::pair<float, float> two_uniform() {
    const uint64_t r = next();
    constexpr float k = 1.0f / 8388608.0f; // 2^-23
    return {static_cast<float>(r & 0xFFFFFF) * k - 1.0f,
            static_cast<float>((r >> 32) & 0xFFFFFF) * k - 1.0f};
  }

private:
  uint64_t s_;
};

uint16_t to_bf16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  // Round to nearest even, as frameworks do when casting to bfloat16.
  return static_cast<uint16_t>((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

class Builder {
public:
  Builder(DemoModel &m, uint64_t seed) : m_(m), seed_(seed) {}

  // Uniform in [-scale, scale): the spread of a Kaiming-style init.
  ParamTree weight(DType dtype, weightio::Shape shape, float scale, float offset = 0.0f) {
    weightio::Tensor t = weightio::Tensor::zeros(dtype, shape);
    // Each tensor gets its own stream, so its values don't depend on the
    // sizes of the tensors built before it.
    Rng rng(seed_ ^ (0xD1B54A32D192ED03ull * ++count_));
    const uint64_t n = t.numel();
    if (dtype == DType::F32) {
      auto *p = static_cast<float *>(t.mutable_data());
      for (uint64_t i = 0; i < n; i += 2) {
        auto [a, b] = rng.two_uniform();
        p[i] = offset + scale * a;
        if (i + 1 < n)
          p[i + 1] = offset + scale * b;
      }
    } else { // BF16
      auto *p = static_cast<uint16_t *>(t.mutable_data());
      for (uint64_t i = 0; i < n; i += 2) {
        auto [a, b] = rng.two_uniform();
        p[i] = to_bf16(offset + scale * a);
        if (i + 1 < n)
          p[i + 1] = to_bf16(offset + scale * b);
      }
    }
    m_.nbytes += t.nbytes();
    m_.parameters += n;
    m_.storage.push_back(t);
    return ParamTree(t.view());
  }

  ParamTree linear(int64_t out, int64_t in) {
    ParamTree node;
    node["weight"] = weight(DType::BF16, {out, in}, 1.0f / std::sqrt(static_cast<float>(in)));
    return node;
  }

  ParamTree norm(int64_t dim) {
    ParamTree node;
    // Around 1 (RMSNorm's init), with the drift training gives it.
    node["weight"] = weight(DType::F32, {dim}, 0.05f, 1.0f);
    return node;
  }

private:
  DemoModel &m_;
  uint64_t seed_;
  uint64_t count_ = 0;
};

} // namespace

DemoModel build_demo_model(const DemoConfig &c, uint64_t seed) {
  DemoModel m;
  Builder b(m, seed);
  const int64_t head_dim = c.dim / c.heads;
  const int64_t kv_dim = head_dim * c.kv_heads;

  ParamTree model;
  model["embed_tokens"]["weight"] = b.weight(DType::F32, {c.vocab, c.dim}, 0.02f);
  ParamTree layers = ParamTree::list();
  for (int64_t l = 0; l < c.layers; ++l) {
    ParamTree attn;
    attn["q_proj"] = b.linear(c.dim, c.dim);
    attn["k_proj"] = b.linear(kv_dim, c.dim);
    attn["v_proj"] = b.linear(kv_dim, c.dim);
    attn["o_proj"] = b.linear(c.dim, c.dim);
    ParamTree mlp;
    mlp["gate_proj"] = b.linear(c.hidden, c.dim);
    mlp["up_proj"] = b.linear(c.hidden, c.dim);
    mlp["down_proj"] = b.linear(c.dim, c.hidden);
    ParamTree layer;
    layer["self_attn"] = std::move(attn);
    layer["mlp"] = std::move(mlp);
    layer["input_layernorm"] = b.norm(c.dim);
    layer["post_attention_layernorm"] = b.norm(c.dim);
    layers.append(std::move(layer));
  }
  model["layers"] = std::move(layers);
  model["norm"] = b.norm(c.dim);

  m.tree["model"] = std::move(model);
  m.tree["lm_head"] = b.linear(c.vocab, c.dim);
  return m;
}

} // namespace wcli
