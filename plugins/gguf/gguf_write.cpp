// Writing a GGUF v3 file: the host's typed metadata and tensors (plain and
// ggml.* blocks) become the internals' Metadata and TensorToWrite, whose
// serializer checks and lays out everything before the first byte goes to
// the host's sink.
#include "gguf_file.hpp"
#include "gguf_plugin.hpp"
#include "gguf_serialize.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <string>
#include <vector>

namespace weightio::gguf {

namespace {

ValueType gguf_type(int32_t t, std::string_view key) {
  switch (t) {
  case WIO_VALUE_STRING:
    return ValueType::STRING;
  case WIO_VALUE_BOOL:
    return ValueType::BOOL;
  case WIO_VALUE_U8:
    return ValueType::UINT8;
  case WIO_VALUE_I8:
    return ValueType::INT8;
  case WIO_VALUE_U16:
    return ValueType::UINT16;
  case WIO_VALUE_I16:
    return ValueType::INT16;
  case WIO_VALUE_U32:
    return ValueType::UINT32;
  case WIO_VALUE_I32:
    return ValueType::INT32;
  case WIO_VALUE_U64:
    return ValueType::UINT64;
  case WIO_VALUE_I64:
    return ValueType::INT64;
  case WIO_VALUE_F32:
    return ValueType::FLOAT32;
  case WIO_VALUE_F64:
    return ValueType::FLOAT64;
  case WIO_VALUE_ARRAY:
    return ValueType::ARRAY;
  default:
    sdk::fail(WIO_ERR_UNSUPPORTED_OPTION,
              "metadata " + sdk::quoted(key) + " has unknown value type " + std::to_string(t));
  }
}

// The stored bits of a scalar, truncated to its width (zero-extended, as
// the internals keep them).
uint64_t scalar_bits(const wio_value &v, ValueType t) {
  switch (t) {
  case ValueType::FLOAT32:
    return std::bit_cast<uint32_t>(v.as.f32);
  case ValueType::FLOAT64:
    return std::bit_cast<uint64_t>(v.as.f64);
  default: {
    const uint32_t w = fixed_width(t);
    const uint64_t raw = is_signed(t) ? static_cast<uint64_t>(v.as.i) : v.as.u;
    return w == 8 ? raw : raw & ((uint64_t{1} << (8 * w)) - 1);
  }
  }
}

Value from_wio(const wio_value &v, std::string_view key) {
  const ValueType t = gguf_type(v.type, key);
  if (t == ValueType::STRING)
    return Value::string(std::string(sdk::view(v.as.str)));
  if (t != ValueType::ARRAY) {
    Value out;
    out.type = t;
    out.bits = scalar_bits(v, t);
    return out;
  }
  const ValueType item = gguf_type(v.item_type, key);
  const auto count = static_cast<size_t>(v.count);
  if (item == ValueType::STRING) {
    std::vector<std::string> items;
    items.reserve(count);
    const auto *s = static_cast<const wio_str *>(v.as.items);
    for (size_t i = 0; i < count; ++i)
      items.emplace_back(sdk::view(s[i]));
    return Value::string_array(std::move(items));
  }
  if (item == ValueType::ARRAY) {
    std::vector<Value> items;
    items.reserve(count);
    const auto *a = static_cast<const wio_value *>(v.as.items);
    for (size_t i = 0; i < count; ++i)
      items.push_back(from_wio(a[i], key));
    return Value::array_array(std::move(items));
  }
  const uint32_t w = fixed_width(item);
  const auto *p = static_cast<const uint8_t *>(v.as.items);
  std::vector<uint8_t> packed(p, p + count * w);
  if constexpr (std::endian::native != std::endian::little)
    for (size_t i = 0; w > 1 && i + w <= packed.size(); i += w)
      std::reverse(packed.begin() + static_cast<std::ptrdiff_t>(i),
                   packed.begin() + static_cast<std::ptrdiff_t>(i + w));
  return Value::packed_array(item, std::move(packed));
}

// The option, else the metadata's general.alignment, else 32. A metadata
// value that disagrees with an explicit option is refused by the serializer
// (it names the key).
uint32_t choose_alignment(const wio_write_request &r, const Metadata &metadata) {
  const std::string_view text = sdk::write_option(r, "alignment").value_or("0");
  uint64_t option = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), option);
  if (ec != std::errc() || end != text.data() + text.size() || option > UINT32_MAX ||
      (option != 0 && !is_power_of_two(option)))
    sdk::fail(WIO_ERR_UNSUPPORTED_OPTION,
              "alignment must be a power of two (or 0), not " + std::string(text));
  if (option != 0)
    return static_cast<uint32_t>(option);
  if (const Value *given = find(metadata, kAlignmentKey);
      given != nullptr && given->type == ValueType::UINT32 && is_power_of_two(given->bits))
    return static_cast<uint32_t>(given->bits);
  return kDefaultAlignment;
}

const ggml::TypeInfo &tensor_type(const wio_tensor_in &t) {
  if (t.dtype == WIO_DTYPE_BLOCK) {
    const std::string_view block = sdk::view(t.block_type);
    const ggml::TypeInfo *type = block.substr(0, kBlockPrefix.size()) == kBlockPrefix
                                     ? ggml::find_type(block.substr(kBlockPrefix.size()))
                                     : nullptr;
    if (type == nullptr || type->kind != ggml::Kind::quantized)
      sdk::fail(WIO_ERR_UNSUPPORTED_DTYPE, "tensor " + sdk::quoted(sdk::view(t.name)) +
                                               " has the block type " + sdk::quoted(block) +
                                               ", which GGUF cannot hold");
    return *type;
  }
  const ggml::TypeInfo *type = type_for_dtype(t.dtype);
  if (type == nullptr)
    sdk::fail(WIO_ERR_UNSUPPORTED_DTYPE,
              "tensor " + sdk::quoted(sdk::view(t.name)) + " has a dtype GGUF cannot hold");
  return *type;
}

void write_gguf(const wio_write_request &r) {
  const sdk::MetadataView entries = sdk::metadata(r);
  Metadata metadata;
  metadata.reserve(entries.size());
  for (const sdk::MetadataEntry e : entries)
    metadata.push_back({std::string(e.key), from_wio(e.value, e.key)});
  const uint32_t alignment = choose_alignment(r, metadata);

  std::vector<TensorToWrite> tensors;
  tensors.reserve(r.tensor_count);
  uint64_t total = 0;
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const wio_tensor_in &t = r.tensors[i];
    TensorToWrite out;
    out.name = std::string(sdk::view(t.name));
    out.shape.assign(t.shape, t.shape + t.ndim);
    out.type = &tensor_type(t);
    out.data = t.data;
    out.nbytes = t.nbytes;
    total += t.nbytes;
    tensors.push_back(std::move(out));
  }

  const sdk::Sink sink(r.sink);
  sdk::ByteWriter writer(sink);
  uint64_t done = 0;
  // Header fields and padding are gathered; tensor bytes go straight to the
  // sink (the serializer passes each tensor's bytes in one call).
  const ByteSink to_host = [&](const void *data, size_t size) {
    if (size < 4096) {
      writer.raw(data, size);
      return;
    }
    writer.data(data, size);
    done += size;
    sink.progress(done, total);
  };
  try {
    write(metadata, tensors, alignment, to_host);
  } catch (const WriteError &e) {
    sdk::fail(WIO_ERR_UNSUPPORTED_OPTION, e.what());
  }
  writer.flush();
}

} // namespace

int32_t write_file(const wio_write_request *request, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] { write_gguf(*request); });
}

} // namespace weightio::gguf
