// "tinyw": a small made-up weights format, written with the C++ SDK to show
// a complete plugin: typed metadata, one block type, limits, probe, zero-copy
// reads. docs/PLUGINS.md walks through it.
//
// Layout (integers little-endian):
//   "TINYW\0\0\1"                          8-byte magic (format version 1)
//   u32 metadata count, u32 tensor count
//   metadata: u16 key length, key, u8 wio_value_type, then the value:
//             STRING: u32 length, bytes; else value_item_bytes(type) bytes
//   tensors:  u16 name length, name, u8 dtype (wio_dtype; 255: block type
//             tinyw.q8), u8 ndim, i64 shape[ndim], u64 byte count
//   tensor data in the same order, each at a multiple of 64 bytes
#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace {

namespace sdk = weightio::sdk;

constexpr std::string_view kMagic("TINYW\0\0\1", 8);
constexpr uint64_t kAlign = 64;
constexpr uint32_t kMaxNdim = 8;
constexpr const char *kBlockName = "tinyw.q8";
// A limit of the format's own, which the descriptor cannot declare.
constexpr uint64_t kMaxKeyBytes = UINT16_MAX;

uint64_t aligned(uint64_t x) {
  return (x + kAlign - 1) / kAlign * kAlign;
}

// ------------------------------------------------------------------ write

void write_value(sdk::ByteWriter &out, const wio_value &v) {
  out.put<uint8_t>(static_cast<uint8_t>(v.type));
  if (v.type == WIO_VALUE_STRING) {
    out.put<uint32_t>(static_cast<uint32_t>(v.as.str.size)); // under the declared limit
    out.str(sdk::view(v.as.str));
    return;
  }
  const uint64_t bits = sdk::value_bits(v);
  for (size_t i = 0; i < sdk::value_item_bytes(v.type); ++i)
    out.put<uint8_t>(static_cast<uint8_t>(bits >> (8 * i)));
}

void write(const wio_write_request &r) {
  const sdk::MetadataView metadata = sdk::metadata(r); // every entry, typed
  for (const sdk::MetadataEntry e : metadata)
    if (e.key.size() > kMaxKeyBytes)
      sdk::over_limit("metadata key bytes", e.key.size(), kMaxKeyBytes, "tinyw.max_key_bytes");

  const sdk::Sink sink(r.sink);
  sdk::ByteWriter out(sink);
  out.str(kMagic);
  out.put<uint32_t>(static_cast<uint32_t>(metadata.size()));
  out.put<uint32_t>(static_cast<uint32_t>(r.tensor_count)); // under max_tensors
  for (const sdk::MetadataEntry e : metadata) {
    out.put<uint16_t>(static_cast<uint16_t>(e.key.size()));
    out.str(e.key);
    write_value(out, e.value);
  }
  uint64_t total = 0;
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const wio_tensor_in &t = r.tensors[i];
    out.put<uint16_t>(static_cast<uint16_t>(t.name.size)); // under max_name_bytes
    out.str(sdk::view(t.name));
    out.put<uint8_t>(static_cast<uint8_t>(t.dtype)); // WIO_DTYPE_BLOCK is 255
    out.put<uint8_t>(static_cast<uint8_t>(t.ndim));
    for (uint32_t d = 0; d < t.ndim; ++d)
      out.put<int64_t>(t.shape[d]);
    out.put<uint64_t>(t.nbytes);
    total += t.nbytes;
  }
  uint64_t done = 0;
  for (size_t i = 0; i < r.tensor_count; ++i) {
    out.zeros(static_cast<size_t>(aligned(out.position()) - out.position()));
    out.data(r.tensors[i].data, static_cast<size_t>(r.tensors[i].nbytes));
    done += r.tensors[i].nbytes;
    sink.progress(done, total); // throws when the host cancels
  }
  out.flush();
}

// ------------------------------------------------------------------- read

struct Entry {
  std::string_view name;
  int32_t dtype;
  std::vector<int64_t> shape;
  uint64_t nbytes;
};

wio_value read_value(sdk::ByteReader &in, std::string_view key) {
  const uint8_t type = in.u8("value type");
  if (type == WIO_VALUE_STRING)
    return sdk::make_value(in.bytes(in.u32("string length"), "string"));
  if (type > WIO_VALUE_F64)
    sdk::invalid_file("metadata " + sdk::quoted(key) + " has the unknown value type " +
                      std::to_string(type));
  uint64_t bits = 0;
  for (size_t i = 0; i < sdk::value_item_bytes(type); ++i)
    bits |= uint64_t{in.u8("value")} << (8 * i);
  return sdk::value_from_bits(type, bits);
}

void read(const wio_read_request &r) {
  const sdk::ReadContext ctx(&r);
  const wio_read_limits &limits = ctx.limits();
  sdk::ByteReader in(ctx.data(), ctx.size());
  if (in.bytes(8, "magic") != kMagic)
    sdk::invalid_file("not a tinyw file (bad magic)");
  const uint32_t value_count = in.u32("metadata count");
  const uint32_t tensor_count = in.u32("tensor count");
  if (limits.max_tensors != 0 && tensor_count > limits.max_tensors)
    sdk::over_limit("tensor count", tensor_count, limits.max_tensors, "max_tensors");
  for (uint32_t i = 0; i < value_count; ++i) {
    const std::string_view key = in.bytes(in.u16("key length"), "key");
    ctx.value(key, read_value(in, key));
  }
  std::vector<Entry> entries;
  for (uint32_t i = 0; i < tensor_count; ++i) {
    Entry e;
    e.name = in.bytes(in.u16("name length"), "name");
    if (limits.max_name_bytes != 0 && e.name.size() > limits.max_name_bytes)
      sdk::over_limit("name bytes", e.name.size(), limits.max_name_bytes, "max_name_bytes");
    e.dtype = in.u8("dtype");
    const uint32_t ndim = in.u8("ndim");
    if (limits.max_ndim != 0 && ndim > limits.max_ndim)
      sdk::over_limit("dimension count", ndim, limits.max_ndim, "max_ndim");
    for (uint32_t d = 0; d < ndim; ++d)
      e.shape.push_back(in.i64("shape"));
    e.nbytes = in.u64("byte count");
    entries.push_back(std::move(e));
  }
  if (limits.max_header_bytes != 0 && in.offset() > limits.max_header_bytes)
    sdk::over_limit("header bytes", in.offset(), limits.max_header_bytes, "max_header_bytes");
  ctx.progress(in.offset(), ctx.size()); // the header is parsed: the host may drop its pages

  uint64_t offset = in.offset();
  for (const Entry &e : entries) {
    offset = aligned(offset);
    if (offset > ctx.size() || e.nbytes > ctx.size() - offset)
      sdk::invalid_file("tensor " + sdk::quoted(e.name) + ": its data lies outside the file");
    const auto ndim = static_cast<uint32_t>(e.shape.size());
    // The host checks dtype, shape and byte count against each other.
    wio_tensor_out t =
        ctx.describe_only()
            ? sdk::described_tensor(e.dtype, e.name, e.shape.data(), ndim, e.nbytes)
            : sdk::mapped_tensor(e.dtype, e.name, e.shape.data(), ndim, offset, e.nbytes);
    if (e.dtype == WIO_DTYPE_BLOCK)
      t.block_type = sdk::make_str(kBlockName);
    ctx.emit(t);
    offset += e.nbytes;
  }
}

// ------------------------------------------------------------- descriptor

int32_t probe(const uint8_t *head, size_t size) {
  if (size < kMagic.size())
    return WIO_PROBE_UNSURE;
  return std::string_view(reinterpret_cast<const char *>(head), 8) == kMagic ? WIO_PROBE_YES
                                                                             : WIO_PROBE_NO;
}

int32_t write_entry(const wio_write_request *r, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] { write(*r); });
}

int32_t read_entry(const wio_read_request *r, char *error, size_t error_size) {
  return sdk::guard(error, error_size, [&] { read(*r); });
}

// 32 signed bytes and a 2-byte scale per block, as ggml's Q8_0 lays them out.
const wio_block_type kQ8 = sdk::block_type(kBlockName, 32, 34, 2);
const wio_block_type *const kBlockTypes[] = {&kQ8};

const wio_write_limits kLimits = [] {
  wio_write_limits l = sdk::empty_limits();
  l.max_ndim = kMaxNdim;
  l.max_name_bytes = 255;
  l.max_tensors = 1024;
  l.max_metadata_value_bytes = 1 << 20;
  return l;
}();

const char *const kExtensions[] = {"tinyw", nullptr};

const wio_format kFormat = [] {
  wio_format f = sdk::empty_format();
  f.name = "tinyw";
  f.description = "tiny weights (example plugin in C++: typed metadata, one block type)";
  f.extensions = kExtensions;
  f.caps = WIO_CAP_READ | WIO_CAP_WRITE | WIO_CAP_METADATA;
  f.write_dtypes = sdk::dtype_mask({WIO_DTYPE_BOOL, WIO_DTYPE_U8, WIO_DTYPE_I32, WIO_DTYPE_I64,
                                    WIO_DTYPE_F16, WIO_DTYPE_BF16, WIO_DTYPE_F32});
  f.metadata_types = sdk::kAllValueTypes & ~WIO_VALUE_BIT(WIO_VALUE_ARRAY); // scalars, strings
  f.probe = probe;
  f.probe_bytes = 8;
  f.write = write_entry;
  f.read = read_entry;
  f.block_types = kBlockTypes;
  f.block_type_count = 1;
  f.write_limits = &kLimits;
  return f;
}();

const wio_format *const kFormats[] = {&kFormat};
const wio_plugin kPlugin = sdk::make_plugin("tinyw", "1.0.0", kFormats, 1);

} // namespace

WEIGHTIO_DEFINE_PLUGIN(kPlugin)
