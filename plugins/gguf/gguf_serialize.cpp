#include "gguf_serialize.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/quoted.hpp>

#include <algorithm>
#include <string_view>
#include <unordered_set>

namespace weightio::gguf {

namespace {

constexpr uint32_t kVersion = 3;
constexpr uint32_t kMaxArrayDepth = 32; // as the reader's default

[[noreturn]] void refuse(const std::string &message) {
  throw WriteError(message);
}

void check_value(const Value &v, uint32_t depth, const std::string &field) {
  if (!value_type_name(static_cast<uint32_t>(v.type)))
    refuse(field + ": unknown value type " + std::to_string(static_cast<uint32_t>(v.type)));
  const uint32_t width = fixed_width(v.type);
  if (width != 0 && width < 8 && (v.bits >> (8 * width)) != 0)
    refuse(field + ": value bits do not fit its type");
  if (v.type == ValueType::BOOL && v.bits > 1)
    refuse(field + ": BOOL value is neither 0 nor 1");
  if (v.type != ValueType::ARRAY)
    return;
  if (depth >= kMaxArrayDepth)
    refuse(field + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth));
  if (!value_type_name(static_cast<uint32_t>(v.item_type)))
    refuse(field + ": unknown array item type " +
           std::to_string(static_cast<uint32_t>(v.item_type)));
  const uint32_t item_width = fixed_width(v.item_type);
  if (item_width != 0 && v.packed.size() % item_width != 0)
    refuse(field + ": array bytes are not a whole number of items");
  if (v.item_type == ValueType::BOOL)
    for (uint8_t b : v.packed)
      if (b > 1)
        refuse(field + ": BOOL item is neither 0 nor 1");
  if (v.item_type == ValueType::ARRAY)
    for (const Value &item : v.arrays) {
      if (item.type != ValueType::ARRAY)
        refuse(field + ": an item of an ARRAY of ARRAY is not an ARRAY");
      check_value(item, depth + 1, field);
    }
}

class Encoder {
public:
  std::string bytes;

  template <class T> void put(T v) { sdk::append_le<T>(bytes, v); }
  void str(std::string_view s) {
    put<uint64_t>(s.size());
    bytes.append(s);
  }
  void value_body(const Value &v) {
    switch (fixed_width(v.type)) {
    case 1:
      put<uint8_t>(static_cast<uint8_t>(v.bits));
      return;
    case 2:
      put<uint16_t>(static_cast<uint16_t>(v.bits));
      return;
    case 4:
      put<uint32_t>(static_cast<uint32_t>(v.bits));
      return;
    case 8:
      put<uint64_t>(v.bits);
      return;
    default:
      break;
    }
    if (v.type == ValueType::STRING) {
      str(v.str);
      return;
    }
    put<uint32_t>(static_cast<uint32_t>(v.item_type));
    put<uint64_t>(v.size());
    if (v.item_type == ValueType::STRING) {
      for (const auto &s : v.strings)
        str(s);
    } else if (v.item_type == ValueType::ARRAY) {
      for (const auto &a : v.arrays)
        value_body(a);
    } else {
      bytes.append(reinterpret_cast<const char *>(v.packed.data()), v.packed.size());
    }
  }
};

struct Plan {
  Layout layout;
  std::string header; // everything before the data section, padding included
};

uint64_t checked_nbytes(const TensorToWrite &t, const std::string &field) {
  uint64_t n = 1;
  for (uint64_t d : t.shape) {
    if (d != 0 && n > static_cast<uint64_t>(INT64_MAX) / d)
      refuse(field + ": the element count overflows int64");
    n *= d;
  }
  const uint64_t blocks = n / t.type->block_elems;
  if (blocks > UINT64_MAX / t.type->block_bytes)
    refuse(field + ": the byte size overflows 64 bits");
  return blocks * t.type->block_bytes;
}

Plan make_plan(const Metadata &metadata, const std::vector<TensorToWrite> &tensors,
               uint32_t alignment) {
  if (!is_power_of_two(alignment))
    refuse("alignment " + std::to_string(alignment) + " is not a non-zero power of two");
  Plan p;
  std::unordered_set<std::string_view> keys;
  for (size_t i = 0; i < metadata.size(); ++i) {
    const auto &kv = metadata[i];
    const std::string field = "metadata key " + sdk::quoted(kv.key);
    if (!keys.insert(kv.key).second)
      refuse("duplicate " + field);
    if (kv.key.size() > kMaxKeyBytes)
      refuse(field + ": longer than " + std::to_string(kMaxKeyBytes) + " bytes");
    if (std::any_of(kv.key.begin(), kv.key.end(),
                    [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
      refuse(field + ": not ASCII");
    check_value(kv.value, 0, field);
    if (kv.key == kAlignmentKey &&
        (kv.value.type != ValueType::UINT32 || kv.value.bits != alignment))
      refuse(field + " disagrees with the alignment " + std::to_string(alignment) +
             " the data is written with (it must be a UINT32 equal to it)");
  }
  p.layout.adds_alignment_key = keys.count(kAlignmentKey) == 0 && alignment != kDefaultAlignment;

  std::unordered_set<std::string_view> names;
  std::vector<uint64_t> padded_sizes;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto &t = tensors[i];
    const std::string field = "tensor " + sdk::quoted(t.name);
    if (t.type == nullptr)
      refuse(field + ": no ggml type");
    if (!names.insert(t.name).second)
      refuse("duplicate " + field);
    if (t.name.size() > kMaxWriteNameBytes)
      refuse(field + ": name is " + std::to_string(t.name.size()) + " bytes (GGUF allows " +
             std::to_string(kMaxWriteNameBytes) + ")");
    if (t.shape.empty() || t.shape.size() > kMaxDims)
      refuse(field + ": " + std::to_string(t.shape.size()) + " dimensions (GGUF holds 1 to 4)");
    for (size_t d = 0; d + 1 < t.shape.size(); ++d)
      if (t.shape[d] == 0)
        refuse(field + ": dimension " + std::to_string(d) +
               " is 0 (GGUF allows 0 only in the innermost dimension)");
    if (t.shape.back() % t.type->block_elems != 0)
      refuse(field + ": innermost dimension " + std::to_string(t.shape.back()) +
             " is not a multiple of the " + std::string(t.type->name) + " block size " +
             std::to_string(t.type->block_elems));
    if (t.nbytes != 0 && t.data == nullptr)
      refuse(field + ": no data");
    const uint64_t expected = checked_nbytes(t, field);
    if (t.nbytes != expected)
      refuse(field + ": " + std::to_string(t.nbytes) + " bytes given, its shape and type " +
             std::string(t.type->name) + " need " + std::to_string(expected));
    uint64_t padded = 0;
    if (!align_up(t.nbytes, alignment, padded))
      refuse(field + ": size overflows");
    padded_sizes.push_back(padded);
  }

  Encoder e;
  e.bytes.append(reinterpret_cast<const char *>(kMagic), 4);
  e.put<uint32_t>(kVersion);
  e.put<uint64_t>(tensors.size());
  e.put<uint64_t>(metadata.size() + (p.layout.adds_alignment_key ? 1 : 0));
  for (const auto &kv : metadata) {
    e.str(kv.key);
    e.put<uint32_t>(static_cast<uint32_t>(kv.value.type));
    e.value_body(kv.value);
  }
  if (p.layout.adds_alignment_key) {
    e.str(kAlignmentKey);
    e.put<uint32_t>(static_cast<uint32_t>(ValueType::UINT32));
    e.put<uint32_t>(alignment);
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto &t = tensors[i];
    e.str(t.name);
    e.put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (auto d = t.shape.rbegin(); d != t.shape.rend(); ++d)
      e.put<uint64_t>(*d);
    e.put<uint32_t>(ggml::id_of(t.type->type));
    e.put<uint64_t>(offset);
    p.layout.offsets.push_back(offset);
    if (padded_sizes[i] > UINT64_MAX - offset)
      refuse("the tensor data overflows 64 bits");
    offset += padded_sizes[i];
  }
  uint64_t data_offset = 0;
  align_up(e.bytes.size(), alignment, data_offset);
  e.bytes.resize(static_cast<size_t>(data_offset), '\0');
  p.layout.data_offset = data_offset;
  if (offset > UINT64_MAX - data_offset)
    refuse("the file size overflows 64 bits");
  p.layout.file_size = data_offset + offset;
  p.header = std::move(e.bytes);
  return p;
}

void write_zeros(const ByteSink &sink, uint64_t n) {
  static const char zeros[4096] = {};
  while (n > 0) {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(n, sizeof zeros));
    sink(zeros, k);
    n -= k;
  }
}

} // namespace

Layout plan(const Metadata &metadata, const std::vector<TensorToWrite> &tensors,
            uint32_t alignment) {
  return make_plan(metadata, tensors, alignment).layout;
}

uint64_t write(const Metadata &metadata, const std::vector<TensorToWrite> &tensors,
               uint32_t alignment, const ByteSink &sink) {
  const Plan p = make_plan(metadata, tensors, alignment);
  sink(p.header.data(), p.header.size());
  for (const auto &t : tensors) {
    if (t.nbytes != 0)
      sink(t.data, static_cast<size_t>(t.nbytes));
    write_zeros(sink, (alignment - t.nbytes % alignment) % alignment);
  }
  return p.layout.file_size;
}

} // namespace weightio::gguf
