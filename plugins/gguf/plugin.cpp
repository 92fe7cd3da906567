// The plugin descriptor: one format, "gguf" (llama.cpp's model files), read
// and write, with every ggml block type declared as data.
#include "gguf_plugin.hpp"

#include "ggml/ggml_types.hpp"

#include <weightio/plugin_sdk.hpp>

#include <array>
#include <cstring>

namespace weightio::gguf {

int32_t plain_dtype(ggml::Type type) noexcept {
  switch (type) {
  case ggml::Type::F32:
    return WIO_DTYPE_F32;
  case ggml::Type::F16:
    return WIO_DTYPE_F16;
  case ggml::Type::BF16:
    return WIO_DTYPE_BF16;
  case ggml::Type::F64:
    return WIO_DTYPE_F64;
  case ggml::Type::I8:
    return WIO_DTYPE_I8;
  case ggml::Type::I16:
    return WIO_DTYPE_I16;
  case ggml::Type::I32:
    return WIO_DTYPE_I32;
  case ggml::Type::I64:
    return WIO_DTYPE_I64;
  default:
    return -1;
  }
}

const ggml::TypeInfo *type_for_dtype(int32_t dtype) noexcept {
  for (const ggml::TypeInfo &t : ggml::all_types())
    if (t.kind != ggml::Kind::quantized && plain_dtype(t.type) == dtype)
      return &t;
  return nullptr;
}

namespace {

int32_t probe(const uint8_t *head, size_t size) noexcept {
  // The host passes fewer than 4 bytes only for a file that short, which no
  // GGUF file is.
  if (size < 4)
    return WIO_PROBE_NO;
  return std::memcmp(head, "GGUF", 4) == 0 ? WIO_PROBE_YES : WIO_PROBE_NO;
}

// The block types, built once from the type table into fixed storage (the
// descriptor must stay valid as long as the library is loaded, and the
// entry point must not allocate).
constexpr size_t kMaxBlockTypes = 64;
struct BlockTable {
  std::array<std::array<char, 40>, kMaxBlockTypes> names{};
  std::array<wio_block_type, kMaxBlockTypes> types{};
  std::array<const wio_block_type *, kMaxBlockTypes> pointers{};
  size_t count = 0;
};

const BlockTable &block_table() {
  static const BlockTable table = [] {
    BlockTable t;
    for (const ggml::TypeInfo &info : ggml::all_types()) {
      if (info.kind != ggml::Kind::quantized || t.count == kMaxBlockTypes)
        continue;
      auto &name = t.names[t.count];
      const size_t n = std::min(info.name.size(), name.size() - kBlockPrefix.size() - 1);
      std::memcpy(name.data(), kBlockPrefix.data(), kBlockPrefix.size());
      std::memcpy(name.data() + kBlockPrefix.size(), info.name.data(), n);
      // Blocks start with an f16 scale (Q8_K's with an f32): a view needs at
      // most the largest power of two dividing the block, up to 4.
      const uint64_t low = info.block_bytes & (~info.block_bytes + 1);
      t.types[t.count] =
          sdk::block_type(name.data(), info.block_elems, info.block_bytes, low < 4 ? low : 4);
      t.pointers[t.count] = &t.types[t.count];
      ++t.count;
    }
    return t;
  }();
  return table;
}

const char *const kDequantizeChoices[] = {"", "f32", "f16", "bf16", nullptr};
const wio_option_decl kAlignment = sdk::int_option(
    WIO_OPTION_SAVE, "alignment",
    "tensor data alignment in bytes, a power of two (0: the metadata's general.alignment, else 32)",
    "0", 0, INT64_C(1) << 30);
const wio_option_decl kDequantize = sdk::string_option(
    WIO_OPTION_LOAD, "dequantize",
    "turn block-quantized tensors into f32, f16 or bf16 (empty: load the blocks as they are; "
    "weightio 0.3 and later ask with LoadOptions::dequantize instead)",
    "", kDequantizeChoices);
const wio_option_decl *const kOptions[] = {&kAlignment, &kDequantize};

// ggml's reader takes names of at most 63 bytes, and no 0 outside the
// innermost dimension (it divides by them).
const wio_write_limits kLimits = [] {
  wio_write_limits l = sdk::empty_limits();
  l.flags = WIO_LIMIT_NO_ZERO_OUTER_DIMS;
  l.min_ndim = 1;
  l.max_ndim = 4;
  l.max_name_bytes = 63;
  return l;
}();

const char *const kExtensions[] = {"gguf", nullptr};

const wio_format kFormat = [] {
  wio_format f = sdk::empty_format();
  f.name = "gguf";
  f.description = "llama.cpp's GGUF (typed metadata, every ggml type; dequantization on request)";
  f.extensions = kExtensions;
  f.caps = WIO_CAP_READ | WIO_CAP_WRITE | WIO_CAP_METADATA | WIO_CAP_SPLIT_KEYS;
  f.write_dtypes = sdk::dtype_mask({WIO_DTYPE_F32, WIO_DTYPE_F16, WIO_DTYPE_BF16, WIO_DTYPE_F64,
                                    WIO_DTYPE_I8, WIO_DTYPE_I16, WIO_DTYPE_I32, WIO_DTYPE_I64});
  f.probe = probe;
  f.write = write_file;
  f.read = read_file;
  f.metadata_types = sdk::kAllValueTypes;
  f.probe_bytes = 8;
  f.block_types = block_table().pointers.data();
  f.block_type_count = block_table().count;
  f.options = kOptions;
  f.option_count = 2;
  f.write_limits = &kLimits;
  f.decode = decode_tensor;
  f.dequantize_dtypes = sdk::dtype_mask({WIO_DTYPE_F32, WIO_DTYPE_F16, WIO_DTYPE_BF16});
  return f;
}();

const wio_format *const kFormats[] = {&kFormat};

const wio_plugin kPlugin = sdk::make_plugin("gguf", "1.0.0", kFormats, 1);
// ABI-2 hosts refuse a newer plugin, yet need nothing ABI 3 added here: they
// read the fields they know and ask to dequantize through the load option.
const wio_plugin kPluginForAbi2 = sdk::make_plugin("gguf", "1.0.0", kFormats, 1, 2);

} // namespace

} // namespace weightio::gguf

extern "C" WEIGHTIO_PLUGIN_EXPORT const wio_plugin *
weightio_plugin_entry(uint32_t host_abi_version) {
  return host_abi_version == 2 ? &weightio::gguf::kPluginForAbi2 : &weightio::gguf::kPlugin;
}
