// weightio diff: names, dtypes and shapes, element counts and the largest
// absolute difference for every numeric dtype, NaN, tolerances.
#include "cli_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <regex>
#include <sstream>

using wcli_test::run_cli;

namespace {

namespace fs = std::filesystem;
using weightio::DType;

struct ValuesLine {
  uint64_t differing = 0;
  uint64_t compared = 0;
  double max_abs = 0;
};

uint64_t number(std::string s) {
  std::erase(s, ',');
  return std::stoull(s);
}

// The "values:" line diff prints for `name`, parsed; nullopt when absent.
std::optional<ValuesLine> values_line(const std::string &out, const std::string &name) {
  const std::regex re("values: +(\\S+): ([0-9,]+) of ([0-9,]+) elements differ, max abs diff "
                      "([-+0-9.eEinfa]+)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator();
       ++it) {
    if ((*it)[1] == name)
      return ValuesLine{number((*it)[2]), number((*it)[3]), std::stod((*it)[4])};
  }
  return std::nullopt;
}

// Independent decoders, so the expected difference does not come from the
// code under test.
double f16(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
  return (h & 0x8000) ? -v : v;
}
double bf16(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

class CliDiff : public ::testing::Test {
protected:
  std::string p(const std::string &name) { return (dir / name).string(); }
  wtest::TempDir dir;
};

TEST_F(CliDiff, TheSameTensorsInTwoFormatsHaveNoDifferences) {
  wcli_test::save(p("a.npz"), wcli_test::mixed_model());
  wcli_test::save(p("b.safetensors"), wcli_test::mixed_model(), {{"only", "here"}});
  auto r = run_cli({"diff", p("a.npz"), p("b.safetensors")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no differences"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

// One element changed in each numeric dtype: found, counted once, and the
// largest absolute difference is |a - b| of that element.
TEST_F(CliDiff, FindsASingleFlippedElementInEveryNumericDtype) {
  const wcli_test::Model a = wcli_test::mixed_model(5);
  wcli_test::save(p("a.safetensors"), a);
  wcli_test::Model b = wcli_test::copy_of(weightio::load_weights(p("a.safetensors")));

  struct Case {
    std::string name;
    double expected;
  };
  std::vector<Case> cases;
  {
    auto *v = static_cast<float *>(b.at("embed.weight").mutable_data());
    const float old = v[37];
    v[37] = old + 0.25f;
    cases.push_back({"embed.weight", std::fabs(static_cast<double>(v[37]) - old)});
  }
  {
    auto *v = static_cast<uint16_t *>(b.at("layers.1.attn.qkv.weight").mutable_data());
    const double old = bf16(v[5]);
    v[5] = 0x4000; // 2.0
    cases.push_back({"layers.1.attn.qkv.weight", std::fabs(2.0 - old)});
  }
  {
    auto *v = static_cast<uint16_t *>(b.at("layers.0.mlp.up.weight").mutable_data());
    const double old = f16(v[100]);
    v[100] = 0xBC00; // -1.0
    cases.push_back({"layers.0.mlp.up.weight", std::fabs(-1.0 - old)});
  }
  {
    auto *v = static_cast<double *>(b.at("head.scale").mutable_data());
    const double old = *v;
    *v = old - 3.5;
    cases.push_back({"head.scale", 3.5});
  }
  {
    auto *v = static_cast<int64_t *>(b.at("tokens.ids").mutable_data());
    v[2] = v[2] > 0 ? v[2] - 1000 : v[2] + 1000; // no overflow either way
    cases.push_back({"tokens.ids", 1000});
  }
  {
    auto *v = static_cast<uint8_t *>(b.at("quant.codes").mutable_data());
    const int old = v[4];
    v[4] = static_cast<uint8_t>(old >= 128 ? old - 100 : old + 100);
    cases.push_back({"quant.codes", 100});
  }
  {
    auto *v = static_cast<uint8_t *>(b.at("tokens.mask").mutable_data());
    v[1] = v[1] ? 0 : 1;
    cases.push_back({"tokens.mask", 1});
  }
  wcli_test::save(p("b.npz"), b);

  auto r = run_cli({"diff", p("a.safetensors"), p("b.npz")});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(p("a.safetensors")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(p("b.npz")), std::string::npos) << r.err;
  const auto loaded = weightio::load_weights(p("a.safetensors"));
  for (const auto &c : cases) {
    auto line = values_line(r.out, c.name);
    ASSERT_TRUE(line) << c.name << " not reported:\n" << r.out;
    EXPECT_EQ(line->differing, 1u) << c.name;
    EXPECT_EQ(line->compared, loaded.at(c.name).numel()) << c.name;
    EXPECT_NEAR(line->max_abs, c.expected, 1e-5 * std::max(1.0, c.expected)) << c.name;
  }
  // Nothing else is reported as changed.
  EXPECT_FALSE(values_line(r.out, "layers.0.norm.weight"));
  EXPECT_EQ(r.out.find("only in A:"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("only in B:"), std::string::npos) << r.out;
}

TEST_F(CliDiff, NanEqualsNanInTheSamePlaceOnly) {
  wcli_test::Model a;
  auto *va = static_cast<float *>(a.add("x", DType::F32, {4}, 1).mutable_data());
  va[2] = NAN;
  wcli_test::save(p("a.safetensors"), a);
  wcli_test::save(p("same.npz"), a);
  auto same = run_cli({"diff", p("a.safetensors"), p("same.npz")});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;

  wcli_test::Model b = wcli_test::copy_of(weightio::load_weights(p("a.safetensors")));
  auto *vb = static_cast<float *>(b.at("x").mutable_data());
  vb[2] = 1.0f; // NaN -> number
  vb[3] = NAN;  // number -> NaN
  wcli_test::save(p("moved.safetensors"), b);
  auto moved = run_cli({"diff", p("a.safetensors"), p("moved.safetensors")});
  EXPECT_EQ(moved.exit_code, 1) << moved.out;
  auto line = values_line(moved.out, "x");
  ASSERT_TRUE(line) << moved.out;
  EXPECT_EQ(line->differing, 2u);
  EXPECT_NE(moved.out.find("NaN"), std::string::npos) << moved.out;
}

TEST_F(CliDiff, TolerancesFollowNumpyAllclose) {
  wcli_test::Model a;
  auto *va = static_cast<double *>(a.add("x", DType::F64, {3}, 1).mutable_data());
  va[0] = 1.0;
  va[1] = 100.0;
  va[2] = INFINITY;
  wcli_test::save(p("a.npz"), a);
  wcli_test::Model b = wcli_test::copy_of(weightio::load_weights(p("a.npz")));
  auto *vb = static_cast<double *>(b.at("x").mutable_data());
  vb[0] = 1.001;  // |a-b| = 0.001, |b| ~ 1
  vb[1] = 100.05; // |a-b| = 0.05, |b| ~ 100
  wcli_test::save(p("b.npz"), b);
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"diff", p("a.npz"), p("b.npz")};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_cli(args);
  };
  auto exact = run({});
  EXPECT_EQ(exact.exit_code, 1);
  auto line = values_line(exact.out, "x");
  ASSERT_TRUE(line) << exact.out;
  EXPECT_EQ(line->differing, 2u);
  EXPECT_NEAR(line->max_abs, 0.05, 1e-9);

  EXPECT_EQ(run({"--atol", "0.1"}).exit_code, 0); // both within atol; inf == inf
  auto atol = run({"--atol", "0.01"});            // only the first
  EXPECT_EQ(atol.exit_code, 1);
  EXPECT_EQ(values_line(atol.out, "x")->differing, 1u);
  EXPECT_EQ(run({"--rtol", "0.001"}).exit_code, 0); // 0.001 <= 0.001*1.001; 0.05 <= 0.1
  EXPECT_EQ(run({"--rtol", "0.0001"}).exit_code, 1);
  EXPECT_EQ(run({"--atol", "0.0005", "--rtol", "0.0005"}).exit_code, 0);
}

TEST_F(CliDiff, InfinityOnlyEqualsTheSameInfinity) {
  wcli_test::Model a;
  auto *va = static_cast<float *>(a.add("x", DType::F32, {2}, 1).mutable_data());
  va[0] = INFINITY;
  wcli_test::save(p("a.npz"), a);
  wcli_test::Model b = wcli_test::copy_of(weightio::load_weights(p("a.npz")));
  static_cast<float *>(b.at("x").mutable_data())[0] = -INFINITY;
  wcli_test::save(p("b.npz"), b);
  auto r = run_cli({"diff", p("a.npz"), p("b.npz"), "--atol", "1e30"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(values_line(r.out, "x")->differing, 1u);
}

TEST_F(CliDiff, ReportsNamesDtypesAndShapesThatDiffer) {
  wcli_test::Model a;
  a.add("only_a", DType::F32, {2}, 1);
  a.add("retyped", DType::F32, {4}, 2);
  a.add("reshaped", DType::F32, {2, 3}, 3);
  a.add("same", DType::I32, {3}, 4);
  wcli_test::save(p("a.safetensors"), a);
  wcli_test::Model b;
  b.add("retyped", DType::F64, {4}, 2);
  b.add("reshaped", DType::F32, {3, 2}, 3);
  b.add("same", DType::I32, {3}, 4);
  b.add("only_b", DType::U8, {1}, 5);
  wcli_test::save(p("b.npz"), b);

  auto r = run_cli({"diff", p("a.safetensors"), p("b.npz")});
  EXPECT_EQ(r.exit_code, 1);
  auto has_line = [&](const std::string &a_word, const std::string &b_word) {
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);)
      if (l.find(a_word) != std::string::npos && l.find(b_word) != std::string::npos)
        return true;
    return false;
  };
  EXPECT_TRUE(has_line("only in A", "only_a")) << r.out;
  EXPECT_TRUE(has_line("only in B", "only_b")) << r.out;
  EXPECT_TRUE(has_line("retyped", "F64")) << r.out;
  EXPECT_TRUE(has_line("reshaped", "[3, 2]")) << r.out;
  EXPECT_FALSE(values_line(r.out, "same"));
  EXPECT_FALSE(values_line(r.out, "retyped")); // values of different dtypes aren't compared
}

TEST_F(CliDiff, Fp8TensorsAreComparedByteByByte) {
  wcli_test::Model a;
  a.add("q", DType::F8_E4M3, {16}, 1);
  wcli_test::save(p("a.safetensors"), a);
  wcli_test::Model b = wcli_test::copy_of(weightio::load_weights(p("a.safetensors")));
  static_cast<uint8_t *>(b.at("q").mutable_data())[7] ^= 1;
  wcli_test::save(p("b.safetensors"), b);
  auto r = run_cli({"diff", p("a.safetensors"), p("b.safetensors")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("q: 1 of 16 bytes differ"), std::string::npos) << r.out;
  EXPECT_EQ(run_cli({"diff", p("a.safetensors"), p("a.safetensors")}).exit_code, 0);
}

TEST_F(CliDiff, UnreadableInputsAreReportedWithTheirStatus) {
  wcli_test::save(p("a.npz"), wcli_test::mixed_model());
  auto missing = run_cli({"diff", p("a.npz"), p("absent.npz")});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find(p("absent.npz")), std::string::npos) << missing.err;
  wtest::write_bytes(p("junk.npz"), {'P', 'K', 5, 6, 1, 2, 3});
  auto junk = run_cli({"diff", p("junk.npz"), p("a.npz")});
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_NE(junk.err.find(p("junk.npz")), std::string::npos) << junk.err;
}

} // namespace
