// Helpers shared by the npz tests: dtype <-> numpy descr, hashing tensors,
// random test data, reading TSV rows written by the python helpers.
#pragma once

#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace npztest {

using weightio::DType;

// What numpy calls each dtype npz holds (BF16: numpy reads MLX's '<V2' as a
// raw 2-byte void, '|V2').
inline std::string numpy_descr(DType d) {
  switch (d) {
  case DType::BOOL:
    return "|b1";
  case DType::U8:
    return "|u1";
  case DType::I8:
    return "|i1";
  case DType::U16:
    return "<u2";
  case DType::I16:
    return "<i2";
  case DType::U32:
    return "<u4";
  case DType::I32:
    return "<i4";
  case DType::U64:
    return "<u8";
  case DType::I64:
    return "<i8";
  case DType::F16:
    return "<f2";
  case DType::BF16:
    return "|V2";
  case DType::F32:
    return "<f4";
  case DType::F64:
    return "<f8";
  case DType::C64:
    return "<c8";
  case DType::C128:
    return "<c16";
  default:
    return "?";
  }
}

inline const std::vector<DType> &npz_dtypes() {
  static const std::vector<DType> all = {DType::BOOL, DType::U8,  DType::I8,   DType::U16,
                                         DType::I16,  DType::U32, DType::I32,  DType::U64,
                                         DType::I64,  DType::F16, DType::BF16, DType::F32,
                                         DType::F64,  DType::C64, DType::C128};
  return all;
}

inline std::string sha(const weightio::TensorView &t) {
  return wtest::sha256_hex(t.data(), t.nbytes());
}

// Random bytes valid for the dtype (bool bytes are 0 or 1).
inline std::vector<uint8_t> random_bytes(DType d, uint64_t nbytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(nbytes);
  for (auto &b : v)
    b = static_cast<uint8_t>(d == DType::BOOL ? rng() & 1 : rng() & 0xFF);
  return v;
}

// Tensors of random bytes, kept alive beside their views. Each add() without
// a seed takes the next one from `seed`.
struct RandomParams {
  std::deque<std::vector<uint8_t>> store;
  weightio::FlatParams flat;
  uint32_t seed = 1;
  void add(const std::string &name, DType d, weightio::Shape shape, uint32_t with_seed) {
    store.push_back(random_bytes(d, weightio::shape_nbytes(d, shape), with_seed));
    flat.emplace(name, weightio::TensorView(d, std::move(shape), store.back().data()));
  }
  void add(const std::string &name, DType d, weightio::Shape shape) {
    add(name, d, std::move(shape), seed++);
  }
};

inline std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep))
    out.push_back(cur);
  if (!s.empty() && s.back() == sep)
    out.emplace_back();
  return out;
}

inline weightio::Shape parse_shape(const std::string &s) {
  weightio::Shape shape;
  for (const auto &part : split(s, ','))
    if (!part.empty())
      shape.push_back(std::stoll(part));
  return shape;
}

inline std::vector<std::vector<std::string>> read_tsv(const wtest::fs::path &p) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty())
      rows.push_back(split(line, '\t'));
  return rows;
}

inline std::string shape_text(const weightio::Shape &shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s;
}

inline bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

// Loading `path` must fail with a FormatError naming the file, the member
// (when `member` is not empty) and `reason`.
inline void expect_refused(const std::filesystem::path &path, const weightio::LoadOptions &o,
                           const std::string &member, const std::string &reason) {
  try {
    weightio::load_weights(path, o);
    ADD_FAILURE() << "loaded without error";
  } catch (const weightio::FormatError &e) {
    const std::string msg = e.what();
    EXPECT_TRUE(contains(msg, path.string())) << msg;
    if (!member.empty()) {
      EXPECT_TRUE(contains(msg, "member '" + member + "'")) << msg;
    }
    EXPECT_TRUE(contains(msg, reason)) << msg;
  }
}

} // namespace npztest
