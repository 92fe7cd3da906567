#include "gguf_parse.hpp"

#include <weightio/quoted.hpp>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>

namespace weightio::gguf {

namespace {

using sdk::ByteOrder;
using Kind = FormatError::Kind;

// The fewest bytes a KV pair (key length, type, 1-byte value) and a tensor
// info (name length, n_dims, type, offset) take, so that counts are checked
// against the file before anything is allocated for them.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;

constexpr std::string_view kTruncated = "truncated: ";

[[noreturn]] void invalid(const std::string &message) {
  throw FormatError(Kind::invalid, message);
}

std::string type_name(uint32_t id) {
  const auto name = value_type_name(id);
  return name ? std::string(*name) : "type " + std::to_string(id);
}

class Parser {
public:
  Parser(std::span<const uint8_t> file, const ParseLimits &limits)
      : file_(file), cur_(file.data(), file.size()), limits_(limits) {}

  File run() {
    File out;
    out.file_size = file_.size();
    header(out);
    metadata(out);
    alignment(out);
    tensor_infos(out);
    data_section(out);
    return out;
  }

private:
  void header(File &out) {
    if (file_.size() < 4 || std::memcmp(file_.data(), kMagic, 4) != 0)
      throw FormatError(Kind::not_gguf,
                        file_.size() < 4
                            ? "a " + std::to_string(file_.size()) + "-byte file"
                            : "magic " +
                                  sdk::quoted({reinterpret_cast<const char *>(file_.data()), 4}));
    cur_.skip(4, "magic");
    truncated_as("header", [&] {
      uint32_t version = cur_.u32("version");
      if (version != 2 && version != 3) {
        const uint32_t swapped = __builtin_bswap32(version);
        if (swapped == 2 || swapped == 3) {
          out.byte_order = ByteOrder::big;
          cur_.set_order(ByteOrder::big);
          version = swapped;
        } else {
          throw FormatError(Kind::unsupported, std::to_string(version));
        }
      }
      out.version = version;
      tensor_count_ = cur_.u64("tensor_count");
      kv_count_ = cur_.u64("kv_count");
    });
    // Every KV pair and tensor info takes bytes: counts the rest of the file
    // cannot hold are refused before anything is reserved for them.
    const uint64_t rest = cur_.remaining();
    if (kv_count_ > rest / kMinKvBytes)
      invalid("truncated: kv_count " + std::to_string(kv_count_) + " cannot fit in the " +
              std::to_string(rest) + " bytes after the header");
    if (tensor_count_ > (rest - kv_count_ * kMinKvBytes) / kMinTensorInfoBytes)
      invalid("truncated: tensor_count " + std::to_string(tensor_count_) + " cannot fit in the " +
              std::to_string(rest) + " bytes after the header");
  }

  void metadata(File &out) {
    out.metadata.reserve(static_cast<size_t>(kv_count_));
    std::unordered_map<std::string_view, uint64_t> seen;
    seen.reserve(static_cast<size_t>(kv_count_));
    for (uint64_t i = 0; i < kv_count_; ++i) {
      const std::string where = "kv[" + std::to_string(i) + "]";
      KeyValue kv;
      truncated_as(where + " key", [&] { kv.key = std::string(string_bytes("key")); });
      const std::string field = where + " " + sdk::quoted(kv.key);
      if (kv.key.size() > kMaxKeyBytes)
        invalid(field + ": key is " + std::to_string(kv.key.size()) + " bytes (max " +
                std::to_string(kMaxKeyBytes) + ")");
      if (std::any_of(kv.key.begin(), kv.key.end(),
                      [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
        invalid(field + ": key is not ASCII");
      truncated_as(field, [&] {
        const uint32_t type = cur_.u32("value type");
        kv.value = value(type, 0, field);
      });
      out.metadata.push_back(std::move(kv));
      const auto [it, fresh] = seen.emplace(out.metadata.back().key, i);
      if (!fresh)
        invalid("duplicate metadata key " + sdk::quoted(out.metadata.back().key) + " (kv[" +
                std::to_string(it->second) + "] and " + where + ")");
    }
  }

  // One value of type `type_id`; `depth` counts the arrays it sits in.
  Value value(uint32_t type_id, uint32_t depth, const std::string &field) {
    if (!value_type_name(type_id))
      invalid(field + ": unknown value type " + std::to_string(type_id));
    Value v;
    v.type = static_cast<ValueType>(type_id);
    if (v.type == ValueType::STRING) {
      v.str = std::string(string_bytes("string value"));
    } else if (v.type == ValueType::ARRAY) {
      array(v, depth, field);
    } else {
      v.bits = fixed(v.type, field);
    }
    return v;
  }

  uint64_t fixed(ValueType t, const std::string &field) {
    switch (fixed_width(t)) {
    case 1: {
      const uint8_t b = cur_.u8("value");
      if (t == ValueType::BOOL && b > 1)
        invalid(field + ": BOOL byte " + std::to_string(b) + " is neither 0 nor 1");
      return b;
    }
    case 2:
      return cur_.u16("value");
    case 4:
      return cur_.u32("value");
    default:
      return cur_.u64("value");
    }
  }

  void array(Value &v, uint32_t depth, const std::string &field) {
    if (depth >= limits_.max_array_depth)
      invalid(field + ": arrays nested deeper than " + std::to_string(limits_.max_array_depth));
    const uint32_t item_id = cur_.u32("array item type");
    if (!value_type_name(item_id))
      invalid(field + ": unknown array item type " + std::to_string(item_id));
    v.item_type = static_cast<ValueType>(item_id);
    const uint64_t count = cur_.u64("array count");
    const uint32_t width = fixed_width(v.item_type);
    // Strings take at least their 8-byte length, arrays their type and count.
    const uint64_t min_item = width != 0 ? width : v.item_type == ValueType::STRING ? 8 : 12;
    if (count > cur_.remaining() / min_item)
      invalid("truncated: " + field + ": array of " + std::to_string(count) + " " +
              type_name(item_id) + " items needs at least " + std::to_string(min_item) +
              " bytes each at offset " + std::to_string(cur_.offset()) + ", the file has " +
              std::to_string(file_.size()));
    if (v.item_type == ValueType::STRING) {
      v.strings.reserve(static_cast<size_t>(count));
      for (uint64_t k = 0; k < count; ++k)
        v.strings.emplace_back(string_bytes("array string"));
    } else if (v.item_type == ValueType::ARRAY) {
      v.arrays.reserve(static_cast<size_t>(count));
      for (uint64_t k = 0; k < count; ++k)
        v.arrays.push_back(value(item_id, depth + 1, field));
    } else {
      const auto bytes = cur_.bytes(count * width, "array items");
      v.packed.assign(bytes.begin(), bytes.end());
      if (cur_.order() == ByteOrder::big && width > 1)
        for (size_t k = 0; k < v.packed.size(); k += width)
          std::reverse(v.packed.begin() + static_cast<ptrdiff_t>(k),
                       v.packed.begin() + static_cast<ptrdiff_t>(k + width));
      if (v.item_type == ValueType::BOOL)
        for (uint64_t k = 0; k < count; ++k)
          if (v.packed[k] > 1)
            invalid(field + ": BOOL item " + std::to_string(k) + " is byte " +
                    std::to_string(v.packed[k]) + ", neither 0 nor 1");
    }
  }

  std::string_view string_bytes(std::string_view what) {
    const uint64_t n = cur_.u64(what);
    return cur_.bytes(n, what);
  }

  void alignment(File &out) {
    const Value *a = find(out.metadata, kAlignmentKey);
    if (a == nullptr)
      return;
    if (a->type != ValueType::UINT32)
      invalid(std::string(kAlignmentKey) + " must be a UINT32, the file stores a " +
              type_name(static_cast<uint32_t>(a->type)));
    if (!is_power_of_two(a->bits))
      invalid(std::string(kAlignmentKey) + " is " + std::to_string(a->bits) +
              ", not a non-zero power of two");
    out.alignment = static_cast<uint32_t>(a->bits);
  }

  void tensor_infos(File &out) {
    out.tensors.reserve(static_cast<size_t>(tensor_count_));
    std::unordered_map<std::string_view, uint64_t> seen;
    seen.reserve(static_cast<size_t>(tensor_count_));
    for (uint64_t i = 0; i < tensor_count_; ++i) {
      const std::string where = "tensor[" + std::to_string(i) + "]";
      TensorInfo t;
      truncated_as(where + " name", [&] { t.name = std::string(string_bytes("name")); });
      const std::string field = where + " " + sdk::quoted(t.name);
      if (t.name.size() > kMaxReadNameBytes)
        invalid(field + ": name is " + std::to_string(t.name.size()) + " bytes (max " +
                std::to_string(kMaxReadNameBytes) + ")");
      uint32_t type_id = 0;
      truncated_as(field, [&] {
        const uint32_t n_dims = cur_.u32("n_dims");
        if (n_dims == 0 || n_dims > kMaxDims)
          invalid(field + ": n_dims is " + std::to_string(n_dims) + " (must be 1 to " +
                  std::to_string(kMaxDims) + ")");
        t.ne.resize(n_dims);
        for (auto &d : t.ne)
          d = cur_.u64("dimension");
        type_id = cur_.u32("ggml type");
        t.offset = cur_.u64("offset");
      });
      geometry(t, type_id, field);
      out.tensors.push_back(std::move(t));
      const auto [it, fresh] = seen.emplace(out.tensors.back().name, i);
      if (!fresh)
        invalid("duplicate tensor name " + sdk::quoted(out.tensors.back().name) + " (tensor[" +
                std::to_string(it->second) + "] and " + where + ")");
    }
  }

  void geometry(TensorInfo &t, uint32_t type_id, const std::string &field) {
    t.type = ggml::find_type(type_id);
    if (t.type == nullptr)
      invalid(field + ": unknown ggml type " + std::to_string(type_id));
    for (size_t d = 1; d < t.ne.size(); ++d)
      if (t.ne[d] == 0)
        invalid(field + ": ne[" + std::to_string(d) +
                "] is 0 (only the innermost dimension may be 0)");
    uint64_t n = 1;
    for (uint64_t d : t.ne) {
      // Every dimension must fit weightio's int64 shapes, even where
      // another dimension is 0 and the element count is not in danger.
      if (d > static_cast<uint64_t>(INT64_MAX) ||
          (d != 0 && n > static_cast<uint64_t>(INT64_MAX) / d))
        invalid(field + ": the element count of ne " + dims(t.ne) + " overflows int64");
      n *= d;
    }
    t.n_elements = n;
    if (t.ne[0] % t.type->block_elems != 0)
      invalid(field + ": ne[0] " + std::to_string(t.ne[0]) + " is not a multiple of the " +
              std::string(t.type->name) + " block size " + std::to_string(t.type->block_elems));
    const uint64_t blocks = n / t.type->block_elems;
    if (blocks > UINT64_MAX / t.type->block_bytes)
      invalid(field + ": the byte size of ne " + dims(t.ne) + " overflows 64 bits");
    t.nbytes = blocks * t.type->block_bytes;
    t.shape.assign(t.ne.rbegin(), t.ne.rend());
  }

  static std::string dims(const std::vector<uint64_t> &ne) {
    std::string s = "[";
    for (size_t i = 0; i < ne.size(); ++i)
      s += (i ? ", " : "") + std::to_string(ne[i]);
    return s + "]";
  }

  void data_section(File &out) {
    if (!align_up(cur_.offset(), out.alignment, out.data_offset))
      invalid("data section offset overflows");
    const uint64_t size = file_.size();
    const uint64_t available = out.data_offset <= size ? size - out.data_offset : 0;
    struct Extent {
      uint64_t begin, end;
      size_t index;
    };
    std::vector<Extent> extents;
    extents.reserve(out.tensors.size());
    for (size_t i = 0; i < out.tensors.size(); ++i) {
      const TensorInfo &t = out.tensors[i];
      const std::string field = "tensor[" + std::to_string(i) + "] " + sdk::quoted(t.name);
      if (t.offset % out.alignment != 0)
        invalid(field + ": offset " + std::to_string(t.offset) +
                " is not a multiple of the alignment " + std::to_string(out.alignment));
      if (t.offset > available || t.nbytes > available - t.offset)
        invalid(field + ": data [" + std::to_string(t.offset) + ", +" + std::to_string(t.nbytes) +
                ") lies beyond the end of the file (the data section "
                "at offset " +
                std::to_string(out.data_offset) + " has " + std::to_string(available) + " bytes)");
      if (t.nbytes != 0) // zero-size tensors take no bytes and may share an offset
        extents.push_back({t.offset, t.offset + t.nbytes, i});
    }
    std::sort(extents.begin(), extents.end(),
              [](const Extent &a, const Extent &b) { return a.begin < b.begin; });
    for (size_t k = 1; k < extents.size(); ++k)
      if (extents[k].begin < extents[k - 1].end) {
        const auto &a = out.tensors[extents[k - 1].index];
        const auto &b = out.tensors[extents[k].index];
        invalid("tensor[" + std::to_string(extents[k].index) + "] " + sdk::quoted(b.name) +
                ": data [" + std::to_string(b.offset) + ", +" + std::to_string(b.nbytes) +
                ") overlaps tensor[" + std::to_string(extents[k - 1].index) + "] " +
                sdk::quoted(a.name) + " [" + std::to_string(a.offset) + ", +" +
                std::to_string(a.nbytes) + ")");
      }
  }

  // Runs `f`, turning a read past the end into "truncated: <field>: ...".
  template <class F> void truncated_as(const std::string &field, F &&f) {
    try {
      f();
    } catch (const sdk::Failure &e) {
      // The reader's own message starts "truncated: " too.
      std::string_view why = e.what();
      if (why.starts_with(kTruncated))
        why.remove_prefix(kTruncated.size());
      invalid(std::string(kTruncated) + field + ": " + std::string(why));
    }
  }

  std::span<const uint8_t> file_;
  sdk::ByteReader cur_;
  const ParseLimits &limits_;
  uint64_t tensor_count_ = 0;
  uint64_t kv_count_ = 0;
};

} // namespace

File parse(std::span<const uint8_t> file, const ParseLimits &limits) {
  return Parser(file, limits).run();
}

} // namespace weightio::gguf
