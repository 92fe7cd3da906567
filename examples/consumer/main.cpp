// The README's embedding example: save through the plugins chosen by
// extension, load back, check. Extra arguments name other extensions to try
// (the test suite uses a third-party plugin's "rawt").
#include <weightio/weightio.hpp>

#include <cassert>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char **argv) {
  std::vector<float> w(12, 1.0f);
  weightio::FlatParams params; // insertion-ordered name -> non-owning view
  params.emplace("layers.0.weight", weightio::TensorView(weightio::DType::F32, {3, 4}, w.data()));

  std::vector<std::string> extensions{"safetensors", "npz"};
  if (argc > 1)
    extensions.assign(argv + 1, argv + argc);
  for (const auto &ext : extensions) {
    const std::string path = "model." + ext;
    weightio::save_weights(path, params); // format from the extension
    weightio::Weights loaded = weightio::load_weights(path);
    const weightio::Tensor &t = loaded.at("layers.0.weight");
    assert(t.dtype() == weightio::DType::F32);
    assert(t.shape() == std::vector<int64_t>({3, 4}));
    assert(t.data<float>()[5] == 1.0f);
    if (t.dtype() != weightio::DType::F32 || t.data<float>()[5] != 1.0f)
      return 1;
    std::printf("%s: ok (%s)\n", path.c_str(), loaded.format.c_str());
  }
  return 0;
}
