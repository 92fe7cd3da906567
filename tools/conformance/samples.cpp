#include "samples.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

namespace wcli::conformance {

using weightio::DType;
using weightio::Shape;
using weightio::Value;
using weightio::ValueType;

void fill_bytes(uint8_t *p, size_t n, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B14E5Full;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = static_cast<uint8_t>(x >> 24);
  }
}

void Case::add(const std::string &name, DType dtype, const Shape &shape, uint64_t seed) {
  auto buf = std::make_shared<std::vector<uint8_t>>(weightio::shape_nbytes(dtype, shape));
  fill_bytes(buf->data(), buf->size(), seed);
  if (dtype == DType::BOOL)
    for (auto &b : *buf)
      b &= 1;
  bytes.emplace_back(name, buf);
  params.emplace(name, weightio::TensorView(dtype, shape, buf->data()));
}

void Case::add_block(const std::string &name, const weightio::BlockType *block, const Shape &shape,
                     uint64_t seed) {
  auto buf = std::make_shared<std::vector<uint8_t>>(weightio::shape_nbytes(*block, shape));
  fill_bytes(buf->data(), buf->size(), seed);
  bytes.emplace_back(name, buf);
  params.emplace(name, weightio::TensorView(block, shape, buf->data()));
}

weightio::SaveOptions Case::save_options(const std::string &format) const {
  weightio::SaveOptions o;
  o.format = format;
  o.metadata = metadata;
  o.format_options = format_options;
  o.compression = compression;
  o.durable = false; // the kit tests formats, not fsync
  return o;
}

namespace {

struct Spec {
  std::string name;
  DType dtype = DType::F32;
  const weightio::BlockType *block = nullptr;
  Shape shape;
};

bool shape_allowed(const weightio::WriteLimits &l, const Shape &s) {
  if (s.size() < l.min_ndim || (l.max_ndim != 0 && s.size() > l.max_ndim))
    return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == 0 && (!l.zero_dims || (!l.zero_outer_dims && i + 1 != s.size())))
      return false;
  return true;
}

// `dims` with as many leading 1s as the format's minimum number of
// dimensions asks for, or its outer dimensions folded into one for a format
// that holds fewer.
Shape fitted(const weightio::WriteLimits &l, std::vector<int64_t> dims) {
  while (dims.size() < std::max<uint32_t>(l.min_ndim, 1))
    dims.insert(dims.begin(), 1);
  while (l.max_ndim != 0 && dims.size() > l.max_ndim) {
    dims[1] *= dims[0];
    dims.erase(dims.begin());
  }
  return dims;
}

bool whole_bytes(DType d) {
  return weightio::dtype_bits(d) % 8 == 0;
}

DType main_dtype(const weightio::FormatInfo &f) {
  for (DType d : {DType::F32, DType::U8, DType::F16, DType::I32})
    if (std::find(f.write_dtypes.begin(), f.write_dtypes.end(), d) != f.write_dtypes.end())
      return d;
  return f.write_dtypes.empty() ? DType::F32 : f.write_dtypes.front();
}

// Cases of at most the format's max_tensors tensors each.
void add_cases(std::vector<Case> &out, const std::string &label, const std::vector<Spec> &specs,
               const weightio::FormatInfo &f, uint64_t &seed) {
  const size_t per = f.limits.max_tensors == 0 ? specs.size() : f.limits.max_tensors;
  for (size_t i = 0; i < specs.size(); i += std::max<size_t>(per, 1)) {
    Case c;
    c.label = label;
    for (size_t j = i; j < std::min(specs.size(), i + per); ++j) {
      const Spec &s = specs[j];
      if (specs.size() > per && per == 1)
        c.label = label + " (" + s.name + ")";
      if (s.block)
        c.add_block(s.name, s.block, s.shape, ++seed);
      else
        c.add(s.name, s.dtype, s.shape, ++seed);
    }
    out.push_back(std::move(c));
  }
}

// One value of each kind the format holds, with extreme integers.
weightio::Metadata sample_metadata(const weightio::FormatInfo &f) {
  weightio::Metadata all;
  all["conformance.string"] = Value(std::string("h\xc3\xa9llo, \xe6\x9d\x83"));
  all["conformance.empty"] = Value(std::string());
  all["conformance.bool"] = Value(true);
  all["conformance.u8"] = Value::unsigned_integer(ValueType::U8, 255);
  all["conformance.i8"] = Value::integer(ValueType::I8, -128);
  all["conformance.u16"] = Value::unsigned_integer(ValueType::U16, 65535);
  all["conformance.i16"] = Value::integer(ValueType::I16, -32768);
  all["conformance.u32"] = Value::unsigned_integer(ValueType::U32, 4294967295u);
  all["conformance.i32"] = Value::integer(ValueType::I32, std::numeric_limits<int32_t>::min());
  all["conformance.u64"] =
      Value::unsigned_integer(ValueType::U64, std::numeric_limits<uint64_t>::max());
  all["conformance.i64"] = Value::integer(ValueType::I64, std::numeric_limits<int64_t>::min());
  all["conformance.f32"] = Value::f32(-1.5e-7f);
  all["conformance.f64"] = Value::f64(2.5e300);
  all["conformance.array.i32"] = Value::array(
      ValueType::I32, {Value::integer(ValueType::I32, 1), Value::integer(ValueType::I32, -2)});
  all["conformance.array.string"] =
      Value::array(ValueType::String, {Value(std::string("a")), Value(std::string("\xc3\xa9"))});
  all["conformance.array.empty"] = Value::array(ValueType::U8, {});
  all["conformance.array.nested"] =
      Value::array(ValueType::Array, {Value::array(ValueType::F64, {Value::f64(0.5)}),
                                      Value::array(ValueType::F64, {})});
  weightio::Metadata held;
  for (const auto &[k, v] : all)
    if (weightio::format_holds(f, v))
      held.emplace(k, v);
  return held;
}

} // namespace

Case basic_case(const weightio::FormatInfo &f, uint64_t seed) {
  Case c;
  c.label = "basic";
  const DType d = main_dtype(f);
  const int64_t n = whole_bytes(d) ? 5 : 8;
  c.add("layers.0.weight", d, fitted(f.limits, {3, n}), seed);
  if (f.limits.max_tensors == 0 || f.limits.max_tensors > 1)
    c.add("layers.0.bias", d, fitted(f.limits, {n}), seed + 1);
  if (f.metadata) {
    weightio::Value v(std::string("conformance"));
    if (weightio::format_holds(f, v))
      c.metadata["source"] = v;
  }
  return c;
}

Case large_case(const weightio::FormatInfo &f, uint64_t seed) {
  Case c;
  c.label = "one tensor of 2^18 elements";
  c.add("large", main_dtype(f), fitted(f.limits, {512, 512}), seed);
  return c;
}

Case empty_name_case(const weightio::FormatInfo &f, uint64_t seed) {
  Case c;
  c.label = "an empty name";
  c.add("", main_dtype(f), fitted(f.limits, {3}), seed);
  return c;
}

std::vector<Case> roundtrip_cases(const weightio::FormatInfo &f, uint64_t seed) {
  std::vector<Case> out;
  const auto &l = f.limits;
  const DType d = main_dtype(f);
  auto keep = [&](std::vector<Spec> specs) {
    std::erase_if(specs, [&](const Spec &s) { return !shape_allowed(l, s.shape); });
    return specs;
  };

  std::vector<Spec> dtypes;
  for (DType t : f.write_dtypes)
    dtypes.push_back({"t." + std::string(weightio::dtype_name(t)), t, nullptr,
                      fitted(l, {whole_bytes(t) ? 7 : 8})});
  add_cases(out, "every dtype", keep(dtypes), f, seed);

  std::vector<Spec> blocks;
  for (const auto *b : f.block_types)
    blocks.push_back(
        {"q." + b->name, DType::Block, b, fitted(l, {2, static_cast<int64_t>(b->block_elements)})});
  add_cases(out, "every block type", keep(blocks), f, seed);

  const int64_t n = whole_bytes(d) ? 7 : 8;
  std::vector<Spec> shapes = {{"s.scalar", d, nullptr, {}},
                              {"s.empty", d, nullptr, {0}},
                              {"s.empty_inner", d, nullptr, {3, 0}},
                              {"s.empty_outer", d, nullptr, {0, 3}},
                              {"s.odd", d, nullptr, {n}},
                              {"s.4d", d, nullptr, {2, 3, 1, 2 * (n % 2 ? 1 : 4)}}};
  const uint32_t max_ndim = l.max_ndim != 0 ? l.max_ndim : 8;
  Shape widest(max_ndim, 1);
  widest.back() = whole_bytes(d) ? 3 : 8;
  shapes.push_back({"s.max_ndim", d, nullptr, widest});
  add_cases(out, "shapes", keep(shapes), f, seed);

  std::vector<Spec> names = {{"a.b.c", d, nullptr, fitted(l, {n})},
                             {"layers.10.weight", d, nullptr, fitted(l, {n})},
                             {"\xc3\xbc"
                              "n"
                              "\xc3\xaf"
                              "c"
                              "\xc3\xb6"
                              "d\xc3\xa9.\xe6\x9d\x83\xe9\x87\x8d",
                              d, nullptr, fitted(l, {n})}};
  const size_t longest =
      l.max_name_bytes != 0 ? std::min<uint64_t>(l.max_name_bytes, 1u << 16) : 1024;
  names.push_back({std::string(longest, 'n'), d, nullptr, fitted(l, {n})});
  add_cases(out, "names", keep(names), f, seed);

  if (l.max_tensors != 0 && l.max_tensors <= 64) {
    std::vector<Spec> most;
    for (uint64_t i = 0; i < l.max_tensors; ++i)
      most.push_back({"m." + std::to_string(i), d, nullptr, fitted(l, {n})});
    Case c;
    c.label = "max_tensors (" + std::to_string(l.max_tensors) + ") tensors";
    for (const auto &s : most)
      c.add(s.name, s.dtype, s.shape, ++seed);
    out.push_back(std::move(c));
  }

  if (f.metadata) {
    Case c = basic_case(f, ++seed);
    c.label = "metadata of every kind";
    c.metadata = sample_metadata(f);
    if (l.max_metadata_value_bytes != 0 && l.max_metadata_value_bytes <= (1u << 20)) {
      Value v(std::string(l.max_metadata_value_bytes, 'v'));
      if (weightio::format_holds(f, v))
        c.metadata["conformance.longest"] = v;
    }
    if (!c.metadata.empty())
      out.push_back(std::move(c));
  }

  for (const auto &o : f.options) {
    if (!o.for_save)
      continue;
    std::vector<std::string> values;
    switch (o.type) {
    case weightio::FormatOption::Type::Bool:
      values = {"true", "false"};
      break;
    case weightio::FormatOption::Type::Int:
      // The maximum is capped: a padding option's largest value would make
      // a gigabyte file out of a few bytes.
      values = {std::to_string(o.min),
                std::to_string(std::max(o.min, std::min<int64_t>(o.max, 65536))), o.default_value};
      break;
    case weightio::FormatOption::Type::String:
      values = o.choices.empty() ? std::vector<std::string>{o.default_value} : o.choices;
      break;
    }
    for (const auto &v : values) {
      Case c = basic_case(f, ++seed);
      c.label = "option " + o.name + "=" + v;
      c.format_options[o.name] = v;
      out.push_back(std::move(c));
    }
  }
  if (f.compression)
    for (int level : {1, 9, -1}) {
      Case c = basic_case(f, ++seed);
      c.label = "compression " + std::to_string(level);
      c.compression = level;
      out.push_back(std::move(c));
    }
  return out;
}

namespace {

template <class Map> std::string names_in_order(const Map &m) {
  std::string out;
  for (const auto &entry : m)
    out += (out.empty() ? "" : ", ") + entry.first;
  return out;
}

} // namespace

std::string tensor_order(const weightio::FlatParams &p) {
  return names_in_order(p);
}
std::string tensor_order(const weightio::Weights &w) {
  return names_in_order(w);
}
std::string metadata_order(const weightio::Metadata &m) {
  return names_in_order(m);
}

Case reversed(const Case &c) {
  Case r;
  r.label = c.label + ", inserted in reverse order";
  r.bytes = c.bytes;
  std::vector<std::pair<std::string, weightio::TensorView>> views(c.params.begin(), c.params.end());
  for (auto it = views.rbegin(); it != views.rend(); ++it)
    r.params.emplace(it->first, it->second);
  std::vector<weightio::Metadata::value_type> meta(c.metadata.begin(), c.metadata.end());
  for (auto it = meta.rbegin(); it != meta.rend(); ++it)
    r.metadata.emplace(it->first, it->second);
  r.format_options = c.format_options;
  r.compression = c.compression;
  return r;
}

std::string compare_loaded(const Case &c, const weightio::Weights &got) {
  for (const auto &[name, view] : c.params) {
    const weightio::Tensor *t = got.find(name);
    if (!t)
      return "tensor '" + name + "' is missing after the round trip";
    if (t->type_name() != view.type_name())
      return "tensor '" + name + "': saved as " + std::string(view.type_name()) +
             ", read back as " + std::string(t->type_name());
    if (t->shape() != view.shape())
      return "tensor '" + name + "': saved with shape " + weightio::shape_to_string(view.shape()) +
             ", read back as " + weightio::shape_to_string(t->shape());
    if (t->nbytes() != view.nbytes())
      return "tensor '" + name + "': " + std::to_string(view.nbytes()) + " bytes saved, " +
             std::to_string(t->nbytes()) + " read back";
    const auto *a = static_cast<const uint8_t *>(view.data());
    const auto *b = static_cast<const uint8_t *>(t->data());
    for (uint64_t i = 0; i < view.nbytes(); ++i)
      if (a[i] != b[i])
        return "tensor '" + name + "' (" + std::string(view.type_name()) + "): byte " +
               std::to_string(i) + " differs after the round trip";
  }
  for (const auto &[name, t] : got)
    if (!c.params.contains(name))
      return "tensor '" + name + "' read back was never saved";
  for (const auto &[key, v] : c.metadata) {
    const Value *g = got.metadata.find(key);
    if (!g)
      return "metadata '" + key + "' is missing after the round trip";
    if (!(*g == v))
      return "metadata '" + key + "' (" + std::string(weightio::value_type_name(v.type())) +
             ") changed in the round trip (read back as " +
             std::string(weightio::value_type_name(g->type())) + ")";
  }
  // A format may record a save option in the file's own metadata (GGUF's
  // alignment is general.alignment): extra keys are allowed then.
  if (c.format_options.empty())
    for (const auto &[key, v] : got.metadata)
      if (!c.metadata.contains(key))
        return "metadata '" + key + "' read back was never saved";
  return {};
}

} // namespace wcli::conformance
