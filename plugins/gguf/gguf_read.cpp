// Reading a GGUF file: the internals' parser checks everything, then every
// metadata value goes to the host with its stored type and every tensor is
// emitted as a view (plain types, ggml.* blocks), a little-endian copy (the
// plain tensors of big-endian files), or, when the host asks to dequantize
// (the request's `dequantize`, or the `dequantize` load option of ABI-2
// hosts), a deferred decode of its blocks on the host's threads.
#include "gguf_file.hpp"
#include "gguf_parse.hpp"
#include "gguf_plugin.hpp"
#include "tensor_bytes.hpp"

#include "ggml/dequantize.hpp"

#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace weightio::gguf {

namespace {

// Marks a decode tag as a big-endian plain tensor's byte swap; the rest of
// the tag is the ggml type id (dequantization tags are the id alone).
constexpr uint64_t kSwapTag = uint64_t{1} << 32;

int32_t wio_type(ValueType t) {
  switch (t) {
  case ValueType::UINT8:
    return WIO_VALUE_U8;
  case ValueType::INT8:
    return WIO_VALUE_I8;
  case ValueType::UINT16:
    return WIO_VALUE_U16;
  case ValueType::INT16:
    return WIO_VALUE_I16;
  case ValueType::UINT32:
    return WIO_VALUE_U32;
  case ValueType::INT32:
    return WIO_VALUE_I32;
  case ValueType::FLOAT32:
    return WIO_VALUE_F32;
  case ValueType::BOOL:
    return WIO_VALUE_BOOL;
  case ValueType::STRING:
    return WIO_VALUE_STRING;
  case ValueType::ARRAY:
    return WIO_VALUE_ARRAY;
  case ValueType::UINT64:
    return WIO_VALUE_U64;
  case ValueType::INT64:
    return WIO_VALUE_I64;
  case ValueType::FLOAT64:
    return WIO_VALUE_F64;
  }
  sdk::fail(WIO_ERR_INTERNAL,
            "unknown GGUF value type " + std::to_string(static_cast<uint32_t>(t)));
}

// Storage the wio_values of one metadata entry point into, kept until the
// host has copied it (deques: growing them moves nothing already handed out).
struct ValueStore {
  std::deque<std::vector<wio_str>> strings;
  std::deque<std::vector<wio_value>> arrays;
  std::deque<std::vector<uint8_t>> swapped;
};

// Packed items are little-endian in the internals and in host order in the
// ABI: the same bytes on every host weightio is built for today, turned
// around on a big-endian one.
const void *host_order_items(const Value &v, ValueStore &store) {
  if constexpr (std::endian::native == std::endian::little) {
    return v.packed.data();
  } else {
    const uint32_t w = fixed_width(v.item_type);
    auto &out = store.swapped.emplace_back(v.packed);
    for (size_t i = 0; w > 1 && i + w <= out.size(); i += w)
      std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i),
                   out.begin() + static_cast<std::ptrdiff_t>(i + w));
    return out.data();
  }
}

wio_value to_wio(const Value &v, ValueStore &store) {
  wio_value out{};
  out.type = wio_type(v.type);
  switch (v.type) {
  case ValueType::STRING:
    out.as.str = sdk::make_str(v.str);
    break;
  case ValueType::FLOAT32:
    out.as.f32 = std::bit_cast<float>(static_cast<uint32_t>(v.bits));
    break;
  case ValueType::FLOAT64:
    out.as.f64 = std::bit_cast<double>(v.bits);
    break;
  case ValueType::ARRAY: {
    out.item_type = wio_type(v.item_type);
    out.count = v.size();
    if (v.item_type == ValueType::STRING) {
      auto &items = store.strings.emplace_back();
      items.reserve(v.strings.size());
      for (const std::string &s : v.strings)
        items.push_back(sdk::make_str(s));
      out.as.items = items.data();
    } else if (v.item_type == ValueType::ARRAY) {
      auto &items = store.arrays.emplace_back();
      items.reserve(v.arrays.size());
      for (const Value &a : v.arrays)
        items.push_back(to_wio(a, store));
      out.as.items = items.data();
    } else {
      out.as.items = host_order_items(v, store);
    }
    break;
  }
  default:
    if (is_signed(v.type))
      out.as.i = v.as_i64();
    else
      out.as.u = v.bits;
  }
  return out;
}

// What block-quantized tensors are to become: the request's dequantize
// field (ABI-3 hosts), else the `dequantize` load option (ABI-2 hosts).
std::optional<ggml::OutType> dequantize_to(const sdk::ReadContext &ctx) {
  if (const int32_t dtype = ctx.dequantize(); dtype != WIO_DEQUANTIZE_NONE) {
    switch (dtype) {
    case WIO_DTYPE_F32:
      return ggml::OutType::f32;
    case WIO_DTYPE_F16:
      return ggml::OutType::f16;
    case WIO_DTYPE_BF16:
      return ggml::OutType::bf16;
    default:
      sdk::fail(WIO_ERR_UNSUPPORTED_OPTION, "cannot dequantize to dtype " + std::to_string(dtype) +
                                                " (only F32, F16 and BF16)");
    }
  }
  const auto opt = ctx.option("dequantize");
  if (!opt || opt->empty())
    return std::nullopt;
  if (*opt == "f32")
    return ggml::OutType::f32;
  if (*opt == "f16")
    return ggml::OutType::f16;
  if (*opt == "bf16")
    return ggml::OutType::bf16;
  sdk::fail(WIO_ERR_UNSUPPORTED_OPTION,
            "dequantize must be f32, f16 or bf16, not " + sdk::quoted(*opt));
}

int32_t out_dtype(ggml::OutType t) {
  return t == ggml::OutType::f32   ? WIO_DTYPE_F32
         : t == ggml::OutType::f16 ? WIO_DTYPE_F16
                                   : WIO_DTYPE_BF16;
}

void check_limits(const File &file, const wio_read_limits &limits) {
  if (limits.max_tensors != 0 && file.tensors.size() > limits.max_tensors)
    sdk::over_limit("tensor count", file.tensors.size(), limits.max_tensors, "max_tensors");
  for (const TensorInfo &t : file.tensors) {
    if (limits.max_name_bytes != 0 && t.name.size() > limits.max_name_bytes)
      sdk::over_limit("tensor " + sdk::quoted(t.name) + ": name bytes", t.name.size(),
                      limits.max_name_bytes, "max_name_bytes");
    if (limits.max_ndim != 0 && t.shape.size() > limits.max_ndim)
      sdk::over_limit("tensor " + sdk::quoted(t.name) + ": dimension count", t.shape.size(),
                      limits.max_ndim, "max_ndim");
  }
}

void read_gguf(const wio_read_request &r) {
  const sdk::ReadContext ctx(&r);
  File file;
  try {
    file = parse(std::span<const uint8_t>(ctx.data(), static_cast<size_t>(ctx.size())));
  } catch (const FormatError &e) {
    sdk::invalid_file(e.what());
  }
  check_limits(file, ctx.limits());
  const std::optional<ggml::OutType> dequantize = dequantize_to(ctx);
  const bool defer = ctx.defer();

  for (const KeyValue &kv : file.metadata) {
    ValueStore store;
    ctx.value(kv.key, to_wio(kv.value, store));
  }

  std::vector<int64_t> shape;
  for (const TensorInfo &t : file.tensors) {
    shape.assign(t.shape.begin(), t.shape.end());
    const auto ndim = static_cast<uint32_t>(shape.size());
    const uint64_t offset = file.data_offset + t.offset;
    const ggml::TypeInfo &type = *t.type;
    const bool quantized = type.kind == ggml::Kind::quantized;
    std::string block_name;
    if (quantized)
      block_name = std::string(kBlockPrefix) + std::string(type.name);
    if (quantized && dequantize && !type.dequantizable)
      sdk::fail(WIO_ERR_UNSUPPORTED_OPTION,
                "tensor " + sdk::quoted(t.name) + " has the ggml type " + std::string(type.name) +
                    ", which has no reference dequantization; load it without dequantize");

    wio_tensor_out out{};
    if (quantized && dequantize) {
      const uint64_t out_bytes = t.n_elements * ggml::out_size(*dequantize);
      if (ctx.describe_only()) {
        out = sdk::described_tensor(out_dtype(*dequantize), t.name, shape.data(), ndim, out_bytes);
      } else {
        out = sdk::mapped_tensor(out_dtype(*dequantize), t.name, shape.data(), ndim, offset,
                                 out_bytes);
        out.storage = WIO_STORAGE_DECODE;
        out.source_size = t.nbytes;
        out.decode_tag = ggml::id_of(type.type);
        // One row per unit: rows are whole blocks (the parser checked ne[0]),
        // so host threads can take any run of them.
        const uint64_t row_blocks = t.ne.empty() ? 0 : t.ne[0] / type.block_elems;
        if (t.n_elements != 0 && row_blocks != 0) {
          out.unit_bytes = row_blocks * type.block_elems * ggml::out_size(*dequantize);
          out.source_unit_bytes = row_blocks * type.block_bytes;
        }
      }
    } else {
      const int32_t dtype = quantized ? WIO_DTYPE_BLOCK : plain_dtype(type.type);
      if (ctx.describe_only()) {
        out = sdk::described_tensor(dtype, t.name, shape.data(), ndim, t.nbytes);
      } else if (needs_swap(type, file.byte_order)) {
        if (!ctx.wants(t.name))
          continue;
        void *buf = ctx.alloc(t.nbytes, 64, t.name);
        if (defer) {
          // The host's threads swap it, split by element like any copy.
          out = sdk::mapped_tensor(dtype, t.name, shape.data(), ndim, offset, t.nbytes);
          out.storage = WIO_STORAGE_DECODE;
          out.buffer = buf;
          out.source_size = t.nbytes;
          out.decode_tag = kSwapTag | ggml::id_of(type.type);
          out.unit_bytes = type.block_bytes;
          out.source_unit_bytes = type.block_bytes;
        } else {
          copy_as_little_endian(type, file.byte_order, ctx.data() + offset, t.nbytes, buf);
          out = sdk::buffer_tensor(dtype, t.name, shape.data(), ndim, buf, t.nbytes);
        }
      } else {
        out = sdk::mapped_tensor(dtype, t.name, shape.data(), ndim, offset, t.nbytes);
      }
      if (quantized)
        out.block_type = sdk::make_str(block_name);
    }
    ctx.emit(out);
  }
}

// A part of a big-endian file's plain tensor, byte-swapped into dest.
void swap_part(const wio_decode_request &r) {
  const ggml::TypeInfo *type = ggml::find_type(static_cast<uint32_t>(r.decode_tag & ~kSwapTag));
  const uint64_t start = r.first_unit * r.source_unit_bytes;
  // The host checked that the whole source lies in the input; the part must
  // lie in the source and be whole elements.
  if (type == nullptr || r.source_unit_bytes != type->block_bytes ||
      r.dest_size % type->block_bytes != 0 || start > r.source_size ||
      r.dest_size > r.source_size - start || r.offset > r.size || r.source_size > r.size - r.offset)
    sdk::fail(WIO_ERR_INTERNAL, "decode of " + sdk::quoted(sdk::view(r.name)) +
                                    ": the part asked for is outside the tensor");
  copy_as_little_endian(*type, sdk::ByteOrder::big, r.data + r.offset + start, r.dest_size, r.dest);
}

} // namespace

int32_t read_file(const wio_read_request *request, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] { read_gguf(*request); });
}

int32_t decode_tensor(const wio_decode_request *request, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] {
    const wio_decode_request &r = *request;
    if ((r.decode_tag & kSwapTag) != 0)
      return swap_part(r);
    const ggml::TypeInfo *type = ggml::find_type(static_cast<uint32_t>(r.decode_tag));
    if (type == nullptr || !type->dequantizable)
      sdk::fail(WIO_ERR_INTERNAL, "decode of " + sdk::quoted(sdk::view(r.name)) +
                                      ": not a tensor this reader emitted");
    const ggml::OutType out = r.dtype == WIO_DTYPE_F32   ? ggml::OutType::f32
                              : r.dtype == WIO_DTYPE_F16 ? ggml::OutType::f16
                                                         : ggml::OutType::bf16;
    const uint64_t block_out = uint64_t{type->block_elems} * ggml::out_size(out);
    const uint64_t source_start = r.unit_bytes == 0 ? 0 : r.first_unit * r.source_unit_bytes;
    const uint64_t nblocks = r.dest_size / block_out;
    // The host checked that the whole source lies in the input; the part
    // must lie in the source.
    if (r.dest_size % block_out != 0 || source_start > r.source_size ||
        nblocks > (r.source_size - source_start) / type->block_bytes || r.offset > r.size ||
        r.source_size > r.size - r.offset)
      sdk::fail(WIO_ERR_INTERNAL, "decode of " + sdk::quoted(sdk::view(r.name)) +
                                      ": the part asked for is outside the tensor");
    ggml::dequantize(*type, r.data + r.offset + source_start, 0, nblocks, r.dest, out);
  });
}

} // namespace weightio::gguf
