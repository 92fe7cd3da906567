#include "checkpoint/split_keys.hpp"

#include <weightio/quoted.hpp>

namespace weightio::detail {

namespace {

constexpr std::string_view kNo = "split.no";
constexpr std::string_view kCount = "split.count";
constexpr std::string_view kTensors = "split.tensors.count";

} // namespace

bool is_split_key(std::string_view key) {
  return key == kNo || key == kCount || key == kTensors;
}

Metadata split_shard_metadata(const Metadata &checkpoint, size_t index, size_t count,
                              size_t tensors) {
  Metadata out;
  if (index == 0) {
    out.reserve(checkpoint.size() + 3);
    for (const auto &[k, v] : checkpoint)
      if (!is_split_key(k))
        out.emplace(k, v);
  }
  // The types and order gguf-split writes (gguf_set_val_u16, _u16, _i32).
  out.emplace(std::string(kNo), Value::unsigned_integer(ValueType::U16, index));
  out.emplace(std::string(kCount), Value::unsigned_integer(ValueType::U16, count));
  out.emplace(std::string(kTensors), Value::integer(ValueType::I32, static_cast<int64_t>(tensors)));
  return out;
}

SplitKeys read_split_keys(const Metadata &shard) {
  SplitKeys out;
  // Any integer type is read: a set written by another tool with a wider
  // type still describes itself unambiguously.
  auto get = [&](std::string_view key, uint64_t &into) {
    const Value *v = shard.find(key);
    if (v == nullptr) {
      out.problem = "it has no " + sdk::quoted(key) + " key";
      return false;
    }
    const ValueType t = v->type();
    if (t == ValueType::String || t == ValueType::Bool || t == ValueType::F32 ||
        t == ValueType::F64 || t == ValueType::Array) {
      out.problem = "its " + sdk::quoted(key) + " is a " + std::string(value_type_name(t)) +
                    ", not an integer";
      return false;
    }
    if (value_type_is_signed(t) && v->as_int() < 0) {
      out.problem = "its " + sdk::quoted(key) + " is negative";
      return false;
    }
    into = v->as_uint();
    return true;
  };
  if (get(kNo, out.no) && get(kCount, out.count) && get(kTensors, out.tensors) &&
      out.no >= out.count)
    out.problem = "its split.no " + std::to_string(out.no) + " is not below its split.count " +
                  std::to_string(out.count);
  return out;
}

Metadata without_split_keys(const Metadata &shard) {
  Metadata out;
  out.reserve(shard.size());
  for (const auto &[k, v] : shard)
    if (!is_split_key(k))
      out.emplace(k, v);
  return out;
}

} // namespace weightio::detail
