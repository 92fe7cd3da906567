// "typed": a test format that uses every ABI-2 addition, so the host's side
// of each is tested through a real plugin binary: typed metadata of every
// kind, a block type (test.Q8: 32 elements in 34 bytes), save and load
// options, write limits, warnings, and deferred per-tensor decode (with
// scramble=true the data is stored XOR 0x5A and the host's threads undo it
// through decode, 64 bytes per unit).
//
// Built several times: VARIANT_TYPED2 is a second format ("typed2") holding
// the same block type, for conversions between two formats that hold it;
// VARIANT_BAD_GEOMETRY declares test.Q8 with another size, and
// VARIANT_BAD_ALIGNMENT with another alignment only. VARIANT_FLAT ("flat",
// ABI 3) holds flat arrays only and at most 32 metadata values, which its
// writer and reader enforce with the SDK's limit status. The tests also build
// VARIANT_TYPED against the frozen ABI-2 header and SDK (tests/plugins/abi2).
//
// File layout (little-endian): "WIOTYPD1", u8 scrambled, 7 zero bytes,
// u64 n_metadata, { u32 key_len, key, value }, u64 n_tensors, { u32
// name_len, name, i32 dtype, u32 block_len, block name, u32 ndim, i64
// shape[ndim], u64 nbytes, u64 offset }, data (each at a multiple of 64).
// A value: i32 type, then a string (u64 len, bytes), a scalar (u64 raw
// bits), or an array (i32 item_type, u64 count, count values without
// their type).
#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace weightio;

constexpr char kMagic[8] = {'W', 'I', 'O', 'T', 'Y', 'P', 'D', '1'};

#if defined(VARIANT_TYPED2)
constexpr const char *kName = "typed2";
const char *const kExtensions[] = {"typed2", nullptr};
#elif defined(VARIANT_BAD_GEOMETRY)
constexpr const char *kName = "badgeom";
const char *const kExtensions[] = {"badgeom", nullptr};
#elif defined(VARIANT_BAD_ALIGNMENT)
constexpr const char *kName = "badalign";
const char *const kExtensions[] = {"badalign", nullptr};
#elif defined(VARIANT_FLAT)
constexpr const char *kName = "flat";
const char *const kExtensions[] = {"flat", nullptr};
#else
constexpr const char *kName = "typed";
const char *const kExtensions[] = {"typed", nullptr};
#endif

const wio_block_type kQ8 = {sizeof(wio_block_type), 32,
#if defined(VARIANT_BAD_GEOMETRY)
                            36,
#else
                            34,
#endif
                            "test.Q8",
#if defined(VARIANT_BAD_ALIGNMENT)
                            4};
#else
                            2};
#endif
const wio_block_type *const kBlocks[] = {&kQ8};

const char *const kLabels[] = {"a", "b", nullptr};
const wio_option_decl kScramble = {sizeof(wio_option_decl),
                                   WIO_OPTION_SAVE,
                                   "scramble",
                                   "store data XOR 0x5A (decoded on host threads)",
                                   WIO_OPTION_BOOL,
                                   0,
                                   "false",
                                   nullptr,
                                   0,
                                   0};
const wio_option_decl kLabel = {sizeof(wio_option_decl),
                                WIO_OPTION_SAVE,
                                "label",
                                "a label",
                                WIO_OPTION_STRING,
                                0,
                                "a",
                                kLabels,
                                0,
                                0};
const wio_option_decl kLevel = {sizeof(wio_option_decl),
                                WIO_OPTION_SAVE,
                                "level",
                                "a number",
                                WIO_OPTION_INT,
                                0,
                                "3",
                                nullptr,
                                0,
                                9};
const wio_option_decl kFailDecode = {sizeof(wio_option_decl),
                                     WIO_OPTION_LOAD,
                                     "fail_decode",
                                     "decoding this tensor fails (tests)",
                                     WIO_OPTION_STRING,
                                     0,
                                     "",
                                     nullptr,
                                     0,
                                     0};
const wio_option_decl *const kOptions[] = {&kScramble, &kLabel, &kLevel, &kFailDecode};

const wio_write_limits kLimits = {
    sizeof(wio_write_limits), WIO_LIMIT_NO_ZERO_OUTER_DIMS, 0, 4, 32, 1000, 1 << 20};

int32_t probe(const uint8_t *head, size_t size) {
  if (size < 8)
    return WIO_PROBE_UNSURE;
  return std::memcmp(head, kMagic, 8) == 0 ? WIO_PROBE_YES : WIO_PROBE_NO;
}

uint64_t width(int32_t t) {
  switch (t) {
  case WIO_VALUE_BOOL:
  case WIO_VALUE_U8:
  case WIO_VALUE_I8:
    return 1;
  case WIO_VALUE_U16:
  case WIO_VALUE_I16:
    return 2;
  case WIO_VALUE_U32:
  case WIO_VALUE_I32:
  case WIO_VALUE_F32:
    return 4;
  default:
    return 8;
  }
}

uint64_t scalar_bits(const wio_value &v) {
  uint64_t raw = 0;
  if (v.type == WIO_VALUE_F32)
    std::memcpy(&raw, &v.as.f32, 4);
  else if (v.type == WIO_VALUE_F64)
    std::memcpy(&raw, &v.as.f64, 8);
  else
    raw = v.as.u;
  return raw;
}

void put_items(sdk::ByteWriter &w, const wio_value &v);

void put_value(sdk::ByteWriter &w, const wio_value &v, bool with_type) {
  if (with_type)
    w.put<int32_t>(v.type);
  if (v.type == WIO_VALUE_STRING) {
    w.put<uint64_t>(v.as.str.size);
    w.raw(v.as.str.data, v.as.str.size);
  } else if (v.type == WIO_VALUE_ARRAY) {
    put_items(w, v);
  } else {
    w.put<uint64_t>(scalar_bits(v));
  }
}

void put_items(sdk::ByteWriter &w, const wio_value &v) {
  w.put<int32_t>(v.item_type);
  w.put<uint64_t>(v.count);
  for (uint64_t i = 0; i < v.count; ++i) {
    if (v.item_type == WIO_VALUE_STRING) {
      const wio_str s = static_cast<const wio_str *>(v.as.items)[i];
      w.put<uint64_t>(s.size);
      w.raw(s.data, s.size);
    } else if (v.item_type == WIO_VALUE_ARRAY) {
      put_items(w, static_cast<const wio_value *>(v.as.items)[i]);
    } else {
      uint64_t raw = 0;
      std::memcpy(&raw, static_cast<const uint8_t *>(v.as.items) + i * width(v.item_type),
                  width(v.item_type));
      w.put<uint64_t>(raw);
    }
  }
}

uint64_t align64(uint64_t x) {
  return (x + 63) / 64 * 64;
}

#if defined(VARIANT_FLAT)
constexpr uint64_t kMaxValues = 32;
#endif

void write_typed(const wio_write_request &r) {
#if defined(VARIANT_FLAT)
  if (r.value_count > kMaxValues)
    sdk::over_limit("metadata count", r.value_count, kMaxValues, "flat.max_values");
#endif
  const sdk::Sink sink(r.sink);
  sdk::ByteWriter w(sink);
  const bool scramble = sdk::write_option(r, "scramble").value_or("false") == "true";
  w.raw(kMagic, 8);
  w.put<uint8_t>(scramble ? 1 : 0);
  w.zeros(7);
  w.put<uint64_t>(r.value_count);
  for (size_t i = 0; i < r.value_count; ++i) {
    w.put<uint32_t>(static_cast<uint32_t>(r.values[i].key.size));
    w.raw(r.values[i].key.data, r.values[i].key.size);
    put_value(w, r.values[i].value, true);
  }
  if (r.value_count != 0)
    sink.warn(std::to_string(r.value_count) + " metadata values written");
  // Header size first, so each data offset is known as its entry is written.
  uint64_t header = w.position() + 8;
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const wio_tensor_in &t = r.tensors[i];
    header += 4 + t.name.size + 4 + 4 + t.block_type.size + 4 + 8 * t.ndim + 16;
  }
  w.put<uint64_t>(r.tensor_count);
  uint64_t offset = align64(header);
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const wio_tensor_in &t = r.tensors[i];
    w.put<uint32_t>(static_cast<uint32_t>(t.name.size));
    w.raw(t.name.data, t.name.size);
    w.put<int32_t>(t.dtype);
    w.put<uint32_t>(static_cast<uint32_t>(t.block_type.size));
    w.raw(t.block_type.data, t.block_type.size);
    w.put<uint32_t>(t.ndim);
    for (uint32_t d = 0; d < t.ndim; ++d)
      w.put<int64_t>(t.shape[d]);
    w.put<uint64_t>(t.nbytes);
    w.put<uint64_t>(offset);
    offset = align64(offset + t.nbytes);
  }
  std::vector<uint8_t> scrambled;
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const wio_tensor_in &t = r.tensors[i];
    w.zeros(static_cast<size_t>(align64(w.position()) - w.position()));
    if (scramble) {
      scrambled.assign(static_cast<const uint8_t *>(t.data),
                       static_cast<const uint8_t *>(t.data) + t.nbytes);
      for (auto &b : scrambled)
        b ^= 0x5A;
      w.data(scrambled.data(), scrambled.size());
    } else {
      w.data(t.data, static_cast<size_t>(t.nbytes));
    }
  }
  w.flush();
}

// Values read back: the storage the wio_values point into lives here.
struct ValueStore {
  std::vector<std::vector<uint8_t>> packed;
  std::vector<std::vector<wio_str>> strings;
  std::vector<std::vector<wio_value>> arrays;
};

wio_value read_items(sdk::ByteReader &in, ValueStore &store, int depth);

wio_value read_scalar(sdk::ByteReader &in, int32_t type) {
  wio_value v{};
  v.type = type;
  const uint64_t raw = in.u64("scalar");
  if (type == WIO_VALUE_F32)
    std::memcpy(&v.as.f32, &raw, 4);
  else if (type == WIO_VALUE_F64)
    std::memcpy(&v.as.f64, &raw, 8);
  else
    v.as.u = raw;
  return v;
}

wio_value read_value(sdk::ByteReader &in, ValueStore &store, int32_t type, int depth) {
  if (type == WIO_VALUE_STRING) {
    wio_value v{};
    v.type = type;
    const uint64_t n = in.u64("string length");
    const auto s = in.bytes(n, "string");
    v.as.str = {s.data(), s.size()};
    return v;
  }
  if (type == WIO_VALUE_ARRAY)
    return read_items(in, store, depth + 1);
  return read_scalar(in, type);
}

wio_value read_items(sdk::ByteReader &in, ValueStore &store, int depth) {
  if (depth > 64)
    sdk::invalid_file("arrays nest too deep");
  wio_value v{};
  v.type = WIO_VALUE_ARRAY;
  v.item_type = in.i32("item type");
  v.count = in.u64("item count");
  if (v.count > in.remaining())
    sdk::invalid_file("array count past the end");
  if (v.item_type == WIO_VALUE_STRING) {
    auto &s = store.strings.emplace_back();
    for (uint64_t i = 0; i < v.count; ++i)
      s.push_back(read_value(in, store, WIO_VALUE_STRING, depth).as.str);
    v.as.items = s.data();
  } else if (v.item_type == WIO_VALUE_ARRAY) {
    std::vector<wio_value> a;
    for (uint64_t i = 0; i < v.count; ++i)
      a.push_back(read_items(in, store, depth + 1));
    store.arrays.push_back(std::move(a));
    v.as.items = store.arrays.back().data();
  } else {
    const uint64_t w = width(v.item_type);
    auto &p = store.packed.emplace_back(static_cast<size_t>(v.count * w));
    for (uint64_t i = 0; i < v.count; ++i) {
      const uint64_t raw = in.u64("item");
      std::memcpy(p.data() + i * w, &raw, w);
    }
    v.as.items = p.data();
  }
  return v;
}

void read_typed(const wio_read_request &r) {
  const sdk::ReadContext ctx(&r);
  sdk::ByteReader in(ctx.data(), ctx.size());
  if (in.bytes(8, "magic") != std::string_view(kMagic, 8))
    sdk::invalid_file("not a typed file");
  const bool scrambled = in.u8("scrambled") != 0;
  in.skip(7, "padding");
  const uint64_t n_meta = in.u64("metadata count");
#if defined(VARIANT_FLAT)
  if (n_meta > kMaxValues)
    sdk::over_limit("metadata count", n_meta, kMaxValues, "flat.max_values");
#endif
  ValueStore store;
  for (uint64_t i = 0; i < n_meta; ++i) {
    const uint32_t kn = in.u32("key length");
    const auto key = in.bytes(kn, "key");
    const int32_t type = in.i32("value type");
    const wio_value v = read_value(in, store, type, 0);
    ctx.value(key, v);
  }
  if (n_meta != 0)
    ctx.warn(std::to_string(n_meta) + " metadata values read");
  const uint64_t n = in.u64("tensor count");
  for (uint64_t i = 0; i < n; ++i) {
    const uint32_t name_len = in.u32("name length");
    const auto name = in.bytes(name_len, "name");
    const int32_t dtype = in.i32("dtype");
    const uint32_t bl = in.u32("block type length");
    const auto block = in.bytes(bl, "block type");
    const uint32_t ndim = in.u32("ndim");
    if (ndim > 64)
      sdk::invalid_file("too many dimensions");
    std::vector<int64_t> shape(ndim);
    for (auto &d : shape)
      d = in.i64("extent");
    wio_tensor_out t{};
    t.struct_size = sizeof t;
    t.dtype = dtype;
    t.name = sdk::make_str(name);
    t.ndim = ndim;
    t.shape = shape.data();
    t.nbytes = in.u64("nbytes");
    t.offset = in.u64("offset");
    t.block_type = sdk::make_str(block);
    if (scrambled) {
      t.storage = WIO_STORAGE_DECODE;
      t.source_size = t.nbytes;
      t.unit_bytes = t.nbytes % 64 == 0 ? 64 : 0;
      t.source_unit_bytes = t.unit_bytes;
      t.decode_tag = 0x5A;
    } else {
      t.storage = WIO_STORAGE_MAPPED;
    }
    ctx.emit(t);
  }
}

void decode_typed(const wio_decode_request &r) {
  const auto fail = sdk::find_option(r.options, r.option_count, "fail_decode");
  if (fail && !fail->empty() && *fail == std::string_view(r.name.data, r.name.size))
    sdk::invalid_file("decode of " + sdk::quoted(*fail) + " failed on purpose");
  const uint64_t src = r.offset + r.first_unit * r.source_unit_bytes;
  if (src > r.size || r.dest_size > r.size - src)
    sdk::invalid_file("decode source outside the input");
  const uint8_t *in = r.data + src;
  auto *out = static_cast<uint8_t *>(r.dest);
  for (uint64_t i = 0; i < r.dest_size; ++i)
    out[i] = in[i] ^ static_cast<uint8_t>(r.decode_tag);
}

int32_t write(const wio_write_request *r, char *error, size_t size) {
  return sdk::guard(error, size, [&] { write_typed(*r); });
}
int32_t read(const wio_read_request *r, char *error, size_t size) {
  return sdk::guard(error, size, [&] { read_typed(*r); });
}
int32_t decode(const wio_decode_request *r, char *error, size_t size) {
  return sdk::guard(error, size, [&] { decode_typed(*r); });
}

const wio_format kFormat = [] {
  wio_format f = sdk::empty_format();
  f.name = kName;
  f.description = "typed-metadata test format";
  f.extensions = kExtensions;
  f.caps = WIO_CAP_READ | WIO_CAP_WRITE | WIO_CAP_METADATA;
  f.write_dtypes = ~uint64_t{0} >> (64 - WIO_DTYPE_COUNT_V1);
  f.probe = probe;
  f.write = write;
  f.read = read;
  f.metadata_types = sdk::kAllValueTypes;
  f.probe_bytes = 8;
  f.block_types = kBlocks;
  f.block_type_count = 1;
  f.options = kOptions;
  f.option_count = 4;
  f.write_limits = &kLimits;
  f.decode = decode;
#if defined(VARIANT_FLAT)
  f.max_array_depth = 1;
#endif
  return f;
}();
const wio_format *const kFormats[] = {&kFormat};
const wio_plugin kPlugin = {
    sizeof(wio_plugin), WEIGHTIO_ABI_VERSION, kName, "0.0.1", kFormats, 1, nullptr};

} // namespace

WEIGHTIO_DEFINE_PLUGIN(kPlugin)
