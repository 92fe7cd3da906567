// weightio inspect: the table, --json against the library, --hash, failures.
#include "cli_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;

class CliInspect : public ::testing::Test {
protected:
  void SetUp() override {
    wcli_test::save(st, wcli_test::mixed_model(), {{"format", "mlx"}, {"note", "a=b c"}});
    wcli_test::save(npz, wcli_test::mixed_model());
  }
  wtest::TempDir dir;
  fs::path st = dir / "m.safetensors";
  fs::path npz = dir / "m.npz";
};

// Every field of the JSON against what load_weights returns for the file.
void expect_json_matches_library(const fs::path &file, bool hashed) {
  std::vector<std::string> args{"inspect", file.string(), "--json"};
  if (hashed)
    args.push_back("--hash");
  auto r = run_cli(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto j = nlohmann::json::parse(r.out); // throws (fails the test) if not JSON
  const weightio::Weights w = weightio::load_weights(file);

  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(nlohmann::ordered_json::parse(r.out).begin().key(), "schema")
      << "the version comes first";
  EXPECT_EQ(j.at("schema"), "weightio.inspect/1");
  EXPECT_EQ(j.at("file"), file.string());
  EXPECT_EQ(j.at("format"), w.format);
  // Typed metadata: a list of {key, type, value} in file order.
  const auto &md = j.at("metadata");
  ASSERT_TRUE(md.is_array()) << md;
  ASSERT_EQ(md.size(), w.metadata.size());
  size_t k = 0;
  for (const auto &[key, v] : w.metadata) {
    EXPECT_EQ(md.at(k).at("key"), key);
    EXPECT_EQ(md.at(k).at("type"), "STRING");
    EXPECT_EQ(md.at(k).at("value"), v.as_string());
    ++k;
  }
  const auto &tensors = j.at("tensors");
  ASSERT_EQ(tensors.size(), w.size());
  size_t i = 0;
  // The library returns tensors in file order; the JSON must keep it.
  for (const auto &[name, t] : w) {
    const auto &e = tensors.at(i++);
    EXPECT_EQ(e.at("name"), name);
    EXPECT_EQ(e.at("dtype"), std::string(weightio::dtype_name(t.dtype())));
    EXPECT_EQ(e.at("shape").get<weightio::Shape>(), t.shape());
    EXPECT_EQ(e.at("nbytes").get<uint64_t>(), t.nbytes());
    if (hashed) {
      EXPECT_EQ(e.at("sha256"), wtest::sha256_hex(t.data(), t.nbytes())) << name;
      EXPECT_EQ(e.at("placement"), std::string(weightio::placement_name(t.placement()))) << name;
    } else {
      EXPECT_FALSE(e.contains("sha256"));
      EXPECT_FALSE(e.contains("placement")) << "a description reads no bytes";
    }
  }
}

TEST_F(CliInspect, JsonAgreesWithTheLibrary) {
  expect_json_matches_library(st, false);
  expect_json_matches_library(npz, false);
}

TEST_F(CliInspect, JsonHashesAreTheTensorBytesSha256) {
  expect_json_matches_library(st, true);
  expect_json_matches_library(npz, true);
}

// name -> placement from `inspect FILE --json --hash [extra...]`.
std::map<std::string, std::string> placements(const fs::path &file,
                                              const std::vector<std::string> &extra = {}) {
  std::vector<std::string> args{"inspect", file.string(), "--json", "--hash"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> out;
  const auto j = nlohmann::json::parse(r.out); // kept: the loop below borrows from it
  for (const auto &e : j.at("tensors"))
    out[e.at("name").get<std::string>()] = e.at("placement").get<std::string>();
  EXPECT_FALSE(out.empty()) << file << ":\n" << r.out << r.err;
  return out;
}

TEST_F(CliInspect, HashedJsonSaysHowEachTensorReachedMemory) {
  // weightio's safetensors data is aligned: every tensor is a view.
  for (const auto &[name, p] : placements(st))
    EXPECT_EQ(p, "mapped") << name;
  // A deflated npz member is inflated by the format's decode.
  const fs::path z = dir / "z.npz";
  ASSERT_EQ(run_cli({"convert", npz.string(), z.string(), "--compress=6"}).exit_code, 0);
  for (const auto &[name, p] : placements(z))
    EXPECT_EQ(p, "decoded") << name;
  // U8 "a" needs no alignment; F32 "b" lies at an offset not a multiple of 4.
  const auto mis = placements(wtest::data_path("safetensors/h01_unsorted_misaligned.safetensors"));
  EXPECT_EQ(mis.at("a"), "mapped");
  EXPECT_EQ(mis.at("b"), "copied");
  // GGUF blocks: views as stored, decoded when dequantized.
  const fs::path q = wtest::data_path("gguf/g05_quantize.gguf");
  const auto raw = placements(q), deq = placements(q, {"--dequantize", "f32"});
  const weightio::Weights w = weightio::load_weights(q);
  size_t blocks = 0;
  for (const auto &[name, t] : w) {
    if (t.block_type() == nullptr)
      continue;
    ++blocks;
    EXPECT_EQ(raw.at(name), "mapped") << name;
    EXPECT_EQ(deq.at(name), "decoded") << name;
  }
  EXPECT_GT(blocks, 0u);
  // A big-endian file's elements are byte-swapped by the format's decode.
  for (const auto &[name, p] : placements(wtest::data_path("gguf/g14_big_endian.gguf")))
    EXPECT_EQ(p, "decoded") << name;
}

TEST_F(CliInspect, JsonMetadataIsEmptyForNpzAndTypedEntriesForSafetensors) {
  auto n = nlohmann::json::parse(run_cli({"inspect", npz.string(), "--json"}).out);
  EXPECT_EQ(n.at("metadata"), nlohmann::json::array());
  auto s = nlohmann::json::parse(run_cli({"inspect", st.string(), "--json"}).out);
  bool found = false;
  for (const auto &e : s.at("metadata"))
    if (e.at("key") == "note") {
      EXPECT_EQ(e.at("type"), "STRING");
      EXPECT_EQ(e.at("value"), "a=b c");
      found = true;
    }
  EXPECT_TRUE(found) << s.at("metadata");
  // A safetensors file without metadata has none either.
  wcli_test::save(dir / "bare.safetensors", wcli_test::mixed_model());
  auto b = nlohmann::json::parse(
      run_cli({"inspect", (dir / "bare.safetensors").string(), "--json"}).out);
  EXPECT_EQ(b.at("metadata"), nlohmann::json::array());
}

TEST_F(CliInspect, TableShowsFormatMetadataEveryTensorAndTotals) {
  auto r = run_cli({"inspect", st.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const weightio::Weights w = weightio::load_weights(st);
  EXPECT_NE(r.out.find("safetensors"), std::string::npos);
  EXPECT_NE(r.out.find("a=b c"), std::string::npos) << "metadata value missing:\n" << r.out;
  uint64_t total = 0;
  for (const auto &[name, t] : w) {
    // One line per tensor holding its name and dtype.
    const auto pos = r.out.find(name + " ");
    ASSERT_NE(pos, std::string::npos) << name << " missing:\n" << r.out;
    const std::string line = r.out.substr(pos, r.out.find('\n', pos) - pos);
    EXPECT_NE(line.find(std::string(" ") + std::string(weightio::dtype_name(t.dtype())) + " "),
              std::string::npos)
        << line;
    total += t.nbytes();
  }
  EXPECT_NE(r.out.find(std::to_string(w.size()) + " tensors"), std::string::npos) << r.out;
  // Totals with thousands separators: strip them to compare.
  std::string digits;
  for (char c : r.out)
    if (c != ',')
      digits += c;
  EXPECT_NE(digits.find(std::to_string(total) + " bytes"), std::string::npos) << r.out;
}

TEST_F(CliInspect, HashColumnInTheTable) {
  auto r = run_cli({"inspect", npz.string(), "--hash"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto &[name, t] : weightio::load_weights(npz))
    EXPECT_NE(r.out.find(wtest::sha256_hex(t.data(), t.nbytes())), std::string::npos) << name;
}

TEST_F(CliInspect, MissingFileIsExitTwoNamingIt) {
  const std::string missing = (dir / "absent.safetensors").string();
  auto r = run_cli({"inspect", missing});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;
}

TEST_F(CliInspect, MalformedFileIsExitOneNamingIt) {
  auto bytes = wtest::read_bytes(st);
  bytes.resize(bytes.size() / 2); // header intact, data cut short
  const fs::path cut = dir / "cut.safetensors";
  wtest::write_bytes(cut, bytes);
  for (const auto &args : std::vector<std::vector<std::string>>{
           {"inspect", cut.string()}, {"inspect", cut.string(), "--json"}}) {
    auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(cut.string()), std::string::npos) << r.err;
  }
}

TEST_F(CliInspect, UnknownFormatIsExitTwo) {
  const fs::path junk = dir / "notes.txt";
  wtest::write_bytes(junk, {'h', 'e', 'l', 'l', 'o', '\n'});
  auto r = run_cli({"inspect", junk.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(junk.string()), std::string::npos) << r.err;
}

TEST_F(CliInspect, FindsTheFormatByContentWhenTheExtensionSaysNothing) {
  const fs::path renamed = dir / "weights.bin";
  fs::copy_file(st, renamed);
  auto r = run_cli({"inspect", renamed.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("format"), "safetensors");
}

TEST_F(CliInspect, ControlCharactersInNamesAreEscapedInTheTable) {
  wcli_test::Model m;
  m.add("evil\nname\x1b[2J", weightio::DType::F32, {2}, 1);
  const fs::path f = dir / "evil.safetensors";
  wcli_test::save(f, m);
  auto r = run_cli({"inspect", f.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
  EXPECT_NE(r.out.find("evil\\nname\\x1b[2J"), std::string::npos) << r.out;
  // JSON keeps the real name.
  auto j = nlohmann::json::parse(run_cli({"inspect", f.string(), "--json"}).out);
  EXPECT_EQ(j.at("tensors").at(0).at("name"), "evil\nname\x1b[2J");
}

} // namespace
