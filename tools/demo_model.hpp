// The demo's model: the parameters of a small Llama-style transformer, as an
// MLX module's parameters() would hold them.
#pragma once

#include <weightio/tree.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace wcli {

struct DemoConfig {
  std::string name;
  int64_t vocab = 0;
  int64_t dim = 0;
  int64_t layers = 0;
  int64_t hidden = 0;   // MLP width
  int64_t heads = 0;    // query heads
  int64_t kv_heads = 0; // key/value heads (grouped-query attention)
};

// "full": a few hundred MB (what `weightio demo` shows); "small": well under
// a megabyte, for tests. Throws CliError for another name.
DemoConfig demo_config(const std::string &size);

struct DemoModel {
  // Owns the bytes; `tree` holds views into them.
  std::vector<weightio::Tensor> storage;
  // {"model": {"embed_tokens": {"weight"}, "layers": [{"self_attn": {...},
  // "mlp": {...}, "input_layernorm": ..., ...}, ...], "norm": ...},
  // "lm_head": {"weight"}}
  weightio::ParamTree tree;
  uint64_t nbytes = 0;
  uint64_t parameters = 0;
};

// Seeded, so two runs build the same bytes. Embeddings and norms are F32,
// attention, MLP and lm_head weights BF16 (a common mixed-precision layout).
DemoModel build_demo_model(const DemoConfig &config, uint64_t seed);

} // namespace wcli
