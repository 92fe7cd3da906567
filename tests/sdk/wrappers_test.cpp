// The SDK's wrappers over the ABI's versions and call modes: DecodeCall
// names each way the host calls decode (and sees no split-check fields from
// a host without them); MetadataView gives a writer one typed list, falling
// back to the strings when a request has no typed values; values made from
// C++ types keep their exact width; ReadContext reads the ABI-3 dequantize
// field only from a host that sends it.
#include <weightio/decode_call.hpp>
#include <weightio/plugin_sdk.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

namespace sdk = weightio::sdk;

namespace {

wio_decode_request decode_request() {
  wio_decode_request r{};
  r.struct_size = sizeof r;
  r.first_unit = 0;
  r.unit_count = 1;
  return r;
}

TEST(SdkDecodeCall, ReportsEachKindOfCall) {
  uint8_t out[4];
  wio_check_part part{};
  const wio_check_part parts[2] = {{0, 1, 7}, {1, 1, 9}};

  wio_decode_request r = decode_request();
  r.dest = out;
  r.dest_size = sizeof out;
  EXPECT_EQ(sdk::DecodeCall(r).kind(), sdk::DecodeKind::decode);
  EXPECT_EQ(sdk::DecodeCall(r).check_part(), nullptr);

  // A split-checked DECODE tensor's part decodes and carries its check part.
  r.check_part = &part;
  EXPECT_EQ(sdk::DecodeCall(r).kind(), sdk::DecodeKind::decode);
  EXPECT_EQ(sdk::DecodeCall(r).check_part(), &part);

  r = decode_request();
  EXPECT_EQ(sdk::DecodeCall(r).kind(), sdk::DecodeKind::check);

  r.check_part = &part;
  EXPECT_EQ(sdk::DecodeCall(r).kind(), sdk::DecodeKind::check_part);

  r = decode_request();
  r.check_parts = parts;
  r.check_part_count = 2;
  const sdk::DecodeCall finish(r);
  EXPECT_EQ(finish.kind(), sdk::DecodeKind::finish_check);
  ASSERT_EQ(finish.check_part_count(), 2u);
  EXPECT_EQ(finish.check_parts()[1].result, 9u);
}

TEST(SdkDecodeCall, AHostWithoutSplitChecksMakesOnlyWholeChecksAndDecodes) {
  // The request as a host from before split checks sized it: the fields
  // past its end are not read, whatever the bytes there hold.
  wio_check_part part{};
  wio_decode_request r = decode_request();
  r.check_part = &part;
  r.check_part_count = 3;
  r.struct_size = offsetof(wio_decode_request, check_part);
  const sdk::DecodeCall check(r);
  EXPECT_EQ(check.kind(), sdk::DecodeKind::check);
  EXPECT_EQ(check.check_part(), nullptr);
  EXPECT_EQ(check.check_parts(), nullptr);
  EXPECT_EQ(check.check_part_count(), 0u);
  uint8_t out[1];
  r.dest = out;
  EXPECT_EQ(sdk::DecodeCall(r).kind(), sdk::DecodeKind::decode);
}

TEST(SdkDecodeCall, PlacesThePartInTheSourceAndTheOutput) {
  const uint8_t input[16] = {};
  uint8_t out[8];
  wio_decode_request r = decode_request();
  r.data = input;
  r.size = sizeof input;
  r.offset = 4;
  r.source_size = 12;
  r.nbytes = 24;
  r.unit_bytes = 8;
  r.first_unit = 2;
  r.dest = out;
  r.dest_size = 8;
  const wio_kv opt = {{"mode", 4}, {"fast", 4}};
  r.options = &opt;
  r.option_count = 1;
  const sdk::DecodeCall call(r);
  EXPECT_EQ(call.source(), input + 4);
  EXPECT_EQ(call.dest_offset(), 16u);
  EXPECT_EQ(call.option("mode").value_or(""), "fast");
  EXPECT_FALSE(call.option("other"));
  r.unit_bytes = 0; // one whole unit: the part starts the output
  EXPECT_EQ(sdk::DecodeCall(r).dest_offset(), 0u);
}

TEST(SdkMetadataView, YieldsTypedValuesInOrderAndNotTheStringsAgain) {
  const wio_metadata values[2] = {{{"n", 1}, sdk::make_value(uint32_t{32})},
                                  {{"s", 1}, sdk::make_value("text")}};
  const wio_kv strings[1] = {{{"s", 1}, {"text", 4}}};
  wio_write_request r{};
  r.struct_size = sizeof r;
  r.values = values;
  r.value_count = 2;
  r.metadata = strings;
  r.metadata_count = 1;
  const sdk::MetadataView view = sdk::metadata(r);
  EXPECT_TRUE(view.typed());
  ASSERT_EQ(view.size(), 2u);
  std::vector<std::string> keys;
  for (const sdk::MetadataEntry e : view)
    keys.emplace_back(e.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"n", "s"}));
  EXPECT_EQ(view[0].value.type, WIO_VALUE_U32);
  EXPECT_EQ(view[0].value.as.u, 32u);
  EXPECT_EQ(view[1].value.type, WIO_VALUE_STRING);
  EXPECT_EQ(sdk::view(view[1].value.as.str), "text");
}

TEST(SdkMetadataView, FallsBackToTheStringsWithoutTypedValues) {
  const wio_kv strings[2] = {{{"a", 1}, {"x", 1}}, {{"b", 1}, {"yz", 2}}};
  wio_write_request r{};
  r.struct_size = sizeof r;
  r.metadata = strings;
  r.metadata_count = 2;
  for (const uint32_t size : {uint32_t{sizeof r}, uint32_t(offsetof(wio_write_request, values))}) {
    r.struct_size = size; // no values array, and a request without the field
    const sdk::MetadataView view(r);
    EXPECT_FALSE(view.typed());
    ASSERT_EQ(view.size(), 2u);
    EXPECT_EQ(view[1].key, "b");
    EXPECT_EQ(view[1].value.type, WIO_VALUE_STRING);
    EXPECT_EQ(sdk::view(view[1].value.as.str), "yz");
  }
  wio_write_request none{};
  none.struct_size = sizeof none;
  EXPECT_TRUE(sdk::MetadataView(none).empty());
}

TEST(SdkValues, CppTypesKeepTheirExactWidthAndSign) {
  EXPECT_EQ(sdk::make_value(uint8_t{1}).type, WIO_VALUE_U8);
  EXPECT_EQ(sdk::make_value(int16_t{-1}).type, WIO_VALUE_I16);
  EXPECT_EQ(sdk::make_value(uint64_t{1}).type, WIO_VALUE_U64);
  EXPECT_EQ(sdk::make_value(-5).type, WIO_VALUE_I32);
  EXPECT_EQ(sdk::make_value(-5).as.i, -5);
  EXPECT_EQ(sdk::make_value(true).type, WIO_VALUE_BOOL);
  EXPECT_EQ(sdk::make_value(true).as.u, 1u);
  EXPECT_EQ(sdk::make_value(1.5f).type, WIO_VALUE_F32);
  EXPECT_EQ(sdk::make_value(2.5).type, WIO_VALUE_F64);
  EXPECT_EQ(sdk::make_value(std::string("abc")).type, WIO_VALUE_STRING);
  const uint16_t items[3] = {1, 2, 3};
  const wio_value a = sdk::make_array(items, 3);
  EXPECT_EQ(a.type, WIO_VALUE_ARRAY);
  EXPECT_EQ(a.item_type, WIO_VALUE_U16);
  EXPECT_EQ(a.count, 3u);
  EXPECT_EQ(a.as.items, items);
  EXPECT_EQ(sdk::value_item_bytes(WIO_VALUE_I16), 2u);
  EXPECT_EQ(sdk::value_item_bytes(WIO_VALUE_BOOL), 1u);
  EXPECT_EQ(sdk::value_item_bytes(99), 0u);
}

TEST(SdkValues, BitsRoundTripAtTheValuesWidth) {
  const wio_value i8 = sdk::make_value(int8_t{-2});
  EXPECT_EQ(sdk::value_bits(i8), 0xfeu);
  EXPECT_EQ(sdk::value_from_bits(WIO_VALUE_I8, 0xfe).as.i, -2);
  EXPECT_EQ(sdk::value_from_bits(WIO_VALUE_I64, sdk::value_bits(sdk::make_value(INT64_MIN))).as.i,
            INT64_MIN);
  EXPECT_EQ(sdk::value_from_bits(WIO_VALUE_U16, 0x12345).as.u, 0x2345u);
  EXPECT_EQ(sdk::value_from_bits(WIO_VALUE_BOOL, 4).as.u, 1u);
  // A NaN's payload survives.
  const uint32_t nan_bits = 0x7fc00123;
  const wio_value f = sdk::value_from_bits(WIO_VALUE_F32, nan_bits);
  EXPECT_TRUE(std::isnan(f.as.f32));
  EXPECT_EQ(sdk::value_bits(f), nan_bits);
  EXPECT_EQ(sdk::value_from_bits(WIO_VALUE_F64, sdk::value_bits(sdk::make_value(0.1))).as.f64, 0.1);
}

// What a host's emit_value received.
struct Emitted {
  std::string key;
  wio_value value{};
};

int32_t record_value(void *ctx, wio_str key, const wio_value *v) {
  auto *e = static_cast<Emitted *>(ctx);
  e->key = sdk::view(key);
  e->value = *v;
  return WIO_OK;
}

TEST(SdkReadContext, EmitsACppValueInOneCallAndReadsDequantizeWhereItExists) {
  Emitted got;
  wio_read_request r{};
  r.struct_size = sizeof r;
  r.ctx = &got;
  r.emit_value = record_value;
  r.dequantize = WIO_DTYPE_F16;
  r.flags = WIO_READ_DEFER;
  const sdk::ReadContext ctx(&r);
  ctx.value("llama.block_count", uint32_t{32});
  EXPECT_EQ(got.key, "llama.block_count");
  EXPECT_EQ(got.value.type, WIO_VALUE_U32);
  EXPECT_EQ(got.value.as.u, 32u);
  ctx.value("name", "tiny");
  EXPECT_EQ(got.value.type, WIO_VALUE_STRING);
  EXPECT_EQ(ctx.dequantize(), WIO_DTYPE_F16);
  EXPECT_TRUE(ctx.defer());
  // A host of ABI 2 sends no dequantize field: keep the blocks.
  r.struct_size = offsetof(wio_read_request, dequantize);
  EXPECT_EQ(ctx.dequantize(), WIO_DEQUANTIZE_NONE);
}

TEST(SdkDescriptor, BuildersFillStructSizesAndTheAbi) {
  const wio_format *const formats[1] = {nullptr};
  const wio_plugin p = sdk::make_plugin("x", "1.0", formats, 1);
  EXPECT_EQ(p.struct_size, sizeof(wio_plugin));
  EXPECT_EQ(p.abi_version, WEIGHTIO_ABI_VERSION);
  EXPECT_EQ(sdk::make_plugin("x", "1.0", formats, 1, 2).abi_version, 2u);
  const wio_block_type b = sdk::block_type("my.Q8", 32, 34, 2);
  EXPECT_EQ(b.struct_size, sizeof(wio_block_type));
  EXPECT_EQ(b.block_bytes, 34u);
  EXPECT_EQ(b.alignment, 2u);
  EXPECT_EQ(sdk::empty_limits().struct_size, sizeof(wio_write_limits));
  const wio_option_decl o = sdk::int_option(WIO_OPTION_SAVE, "n", "d", "3", 1, 9);
  EXPECT_EQ(o.struct_size, sizeof(wio_option_decl));
  EXPECT_EQ(o.type, WIO_OPTION_INT);
  EXPECT_STREQ(o.default_value, "3");
  EXPECT_EQ(o.max, 9);
  EXPECT_STREQ(sdk::bool_option(WIO_OPTION_LOAD, "b", "d", true).default_value, "true");
  EXPECT_EQ(sdk::string_option(WIO_OPTION_LOAD, "s", "d", "", nullptr).type, WIO_OPTION_STRING);
}

} // namespace
