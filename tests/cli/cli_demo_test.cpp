// weightio demo: the small variant end to end (the full one is the same code
// with larger shapes; the README's set-up runs it).
#include "cli_support.hpp"

#include <gtest/gtest.h>

#include <regex>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;

TEST(CliDemo, SmallDemoWritesEveryBundledFormatIntoDirAndKeepsThem) {
  wtest::TempDir dir;
  const fs::path out = dir / "demo-out"; // created by the demo
  auto r = run_cli({"demo", "--size", "small", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.err, "");

  const auto npz = weightio::load_weights(out / "model.npz");
  const auto st = weightio::load_weights(out / "model.safetensors");
  EXPECT_EQ(npz.format, "npz");
  EXPECT_EQ(st.format, "safetensors");
  EXPECT_TRUE(wcli_test::same_tensors(npz, st));
  const auto gguf = weightio::load_weights(out / "model.gguf");
  EXPECT_EQ(gguf.format, "gguf");
  EXPECT_TRUE(wcli_test::same_tensors(npz, gguf));
  // An MLX-style model: embeddings, per-layer attention and MLP, norms, head;
  // F32 and BF16.
  for (const char *name :
       {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
        "model.layers.1.mlp.down_proj.weight", "model.layers.1.post_attention_layernorm.weight",
        "model.norm.weight", "lm_head.weight"})
    EXPECT_TRUE(st.contains(name)) << name;
  EXPECT_EQ(st.at("model.embed_tokens.weight").dtype(), weightio::DType::F32);
  EXPECT_EQ(st.at("model.layers.0.self_attn.q_proj.weight").dtype(), weightio::DType::BF16);
  const auto tree = weightio::unflatten(st);
  EXPECT_TRUE(tree.at("model").at("layers").is_list());

  // One block per format: its file, throughput and where its plugin is.
  for (const char *format : {"npz", "safetensors", "gguf"}) {
    EXPECT_NE(r.out.find(std::string("model.") + format), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(weightio::plugin_path_for_format(format).string()), std::string::npos)
        << r.out;
  }
  EXPECT_NE(r.out.find("MB/s"), std::string::npos) << r.out;
}

TEST(CliDemo, SameSeedSameBytes) {
  wtest::TempDir dir;
  ASSERT_EQ(run_cli({"demo", "--size", "small", (dir / "a").string()}).exit_code, 0);
  ASSERT_EQ(run_cli({"demo", "--size", "small", (dir / "b").string()}).exit_code, 0);
  ASSERT_EQ(run_cli({"demo", "--size", "small", "--seed", "7", (dir / "c").string()}).exit_code, 0);
  EXPECT_EQ(wtest::read_bytes(dir / "a" / "model.safetensors"),
            wtest::read_bytes(dir / "b" / "model.safetensors"));
  EXPECT_NE(wtest::read_bytes(dir / "a" / "model.safetensors"),
            wtest::read_bytes(dir / "c" / "model.safetensors"));
}

TEST(CliDemo, DefaultFolderIsRemovedAfterwards) {
  auto r = run_cli({"demo", "--size", "small"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("folder: (\\S+)"))) << r.out;
  EXPECT_FALSE(fs::exists(m[1].str())) << m[1];
}

TEST(CliDemo, AFolderItCannotCreateIsExitTwoNamingIt) {
  wtest::TempDir dir;
  const fs::path blocked = dir / "a-file";
  wtest::write_bytes(blocked, {'x'});
  auto r = run_cli({"demo", "--size", "small", (blocked / "sub").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(blocked.string()), std::string::npos) << r.err;
}

} // namespace
