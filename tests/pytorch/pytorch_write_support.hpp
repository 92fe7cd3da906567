// Helpers for the pytorch writer's tests: tensors that own seeded bytes, and
// Debian's torch 1.13 as the oracle (tests/python/pytorch_check_saved.py)
// loading what weightio saved.
#pragma once

#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ptw_test {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct Owned {
  std::string name;
  weightio::DType dtype;
  weightio::Shape shape;
  std::vector<uint8_t> bytes;
};

// Seeded bytes for a tensor of `dtype` and `shape`: bools are 0 or 1, other
// dtypes any bit pattern (torch moves bytes, never interprets them).
inline Owned make(std::string name, weightio::DType dtype, weightio::Shape shape,
                  uint32_t seed = 1) {
  Owned t{std::move(name), dtype, std::move(shape), {}};
  t.bytes.resize(weightio::shape_nbytes(t.dtype, t.shape));
  uint32_t x = seed * 2654435761u + 12345u;
  for (auto &b : t.bytes) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
    if (dtype == weightio::DType::BOOL)
      b &= 1;
  }
  return t;
}

inline weightio::FlatParams views_of(const std::vector<Owned> &ts) {
  weightio::FlatParams p;
  for (const auto &t : ts)
    p.emplace(t.name,
              weightio::TensorView(t.dtype, t.shape, t.bytes.empty() ? nullptr : t.bytes.data()));
  return p;
}

// torch's name for each dtype torch 1.13 has, as str(tensor.dtype) gives it.
inline std::string torch_name(weightio::DType d) {
  using weightio::DType;
  switch (d) {
  case DType::BOOL:
    return "torch.bool";
  case DType::U8:
    return "torch.uint8";
  case DType::I8:
    return "torch.int8";
  case DType::I16:
    return "torch.int16";
  case DType::I32:
    return "torch.int32";
  case DType::I64:
    return "torch.int64";
  case DType::F16:
    return "torch.float16";
  case DType::BF16:
    return "torch.bfloat16";
  case DType::F32:
    return "torch.float32";
  case DType::F64:
    return "torch.float64";
  case DType::C64:
    return "torch.complex64";
  case DType::C128:
    return "torch.complex128";
  default:
    return "(none)";
  }
}

// Row-major strides as torch gives them: a dimension of length 0 counts as 1.
inline std::vector<int64_t> contiguous_strides(const weightio::Shape &shape) {
  std::vector<int64_t> s(shape.size());
  int64_t step = 1;
  for (size_t d = shape.size(); d-- > 0;) {
    s[d] = step;
    step *= shape[d] == 0 ? 1 : shape[d];
  }
  return s;
}

// Runs the oracle on `files` (the shards of one checkpoint, or one file) and
// returns its report; fails the test when torch is missing, refuses the
// file, or says anything on stderr (a warning is a failure).
inline json torch_report(const std::vector<fs::path> &files) {
  std::vector<std::string> args;
  for (const auto &f : files)
    args.push_back(f.string());
  const auto r = wtest::run_python(wtest::python_script("pytorch_check_saved.py"), args);
  EXPECT_EQ(r.exit_code, 0) << "torch 1.13 (/usr/bin/python3 with python3-torch) could not "
                               "load the file:\n"
                            << r.err;
  EXPECT_EQ(r.err, "");
  if (r.exit_code != 0)
    return json::object();
  return json::parse(r.out);
}

// Every tensor torch loaded is the one saved, in the saved order: dtype,
// shape, C-contiguous strides, offset 0, no grad, the same bytes.
inline void expect_tensors(const json &report, const std::vector<Owned> &ts) {
  ASSERT_TRUE(report.contains("tensors"));
  const json &got = report["tensors"];
  ASSERT_EQ(got.size(), ts.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    const Owned &t = ts[i];
    SCOPED_TRACE("tensor " + t.name);
    EXPECT_EQ(got[i]["name"], t.name);
    EXPECT_EQ(got[i]["dtype"], torch_name(t.dtype));
    EXPECT_EQ(got[i]["shape"].get<std::vector<int64_t>>(), t.shape);
    EXPECT_EQ(got[i]["stride"].get<std::vector<int64_t>>(), contiguous_strides(t.shape));
    EXPECT_EQ(got[i]["storage_offset"], 0);
    EXPECT_EQ(got[i]["requires_grad"], false);
    EXPECT_EQ(got[i]["sha256"], wtest::sha256_hex(t.bytes.data(), t.bytes.size()));
  }
}

// One file's report says torch reads it as torch.save writes it: an
// OrderedDict, loaded the same with and without weights_only, records
// 64-byte aligned, and (`same_as_torch`) byte for byte the records torch.save
// writes for the state dict it loaded.
inline void expect_torch_file(const json &file, bool same_as_torch = true) {
  EXPECT_EQ(file["type"], "OrderedDict");
  EXPECT_EQ(file["full_load_same"], true);
  EXPECT_EQ(file["misaligned_records"], json::array());
  EXPECT_EQ(file["record_names"], file["torch_record_names"]);
  if (same_as_torch) {
    EXPECT_EQ(file["pickle_same_as_torch"], true);
    EXPECT_EQ(file["records_same_as_torch"], true);
  }
}

} // namespace ptw_test
