// Loading hostile input, for both formats, via the public API. Each hostile
// file must be refused with a FormatError (ErrorCode::InvalidFile) that
// names the file, never a crash, never an allocation sized by an unchecked
// number (that would surface as ErrorCode::Internal / bad_alloc, or as an
// ASan report in the ASan run).
// Where a legitimate file could hit a limit, the test also shows that
// raising the limit lets it load.
#include "hostile_builders.hpp"
#include "reliability_support.hpp"

#include <gtest/gtest.h>

using namespace weightio;
using wrel::floats;
using wrel::npy;
using wrel::safetensors_file;
using wrel::zip_file;
using wrel::ZipMember;

namespace {

bool have_format(const std::string &name) {
  try {
    return format_by_name(name).can_read;
  } catch (const Error &) {
    return false;
  }
}

#define REQUIRE_FORMAT(name)                                                                       \
  if (!have_format(name))                                                                          \
  GTEST_SKIP() << "the " name " plugin is not built"

// Loads `bytes` three ways (mapped file, read into memory, from memory) and
// expects each to refuse it as an invalid file with `reason` in the message.
void expect_refused(const std::vector<uint8_t> &bytes, const std::string &format,
                    const std::string &reason, const LoadOptions &options = {}) {
  wtest::TempDir dir;
  const auto path = dir / ("hostile." + format);
  wtest::write_bytes(path, bytes);
  for (int way = 0; way < 3; ++way) {
    SCOPED_TRACE(way == 0 ? "mapped" : way == 1 ? "read_into_memory" : "from memory");
    LoadOptions o = options;
    o.read_into_memory = way == 1;
    try {
      if (way < 2) {
        load_weights(path, o);
      } else {
        o.format = format;
        load_weights_from_memory(bytes, o);
      }
      ADD_FAILURE() << "accepted; expected: " << reason;
    } catch (const FormatError &e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidFile) << e.what();
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
      if (way < 2) {
        EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
      }
    } catch (const Error &e) {
      ADD_FAILURE() << "not a FormatError (code " << static_cast<int>(e.code())
                    << "): " << e.what();
    }
  }
}

Weights load_bytes(const std::vector<uint8_t> &bytes, const std::string &format,
                   const LoadOptions &options = {}) {
  LoadOptions o = options;
  o.format = format;
  return load_weights_from_memory(bytes, o);
}

std::string st_tensor(const std::string &name, const std::string &shape, uint64_t begin,
                      uint64_t end, const std::string &dtype = "F32") {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
}

std::string dims(int n, const char *open = "[", const char *close = "]") {
  std::string s = open;
  for (int i = 0; i < n; ++i)
    s += i ? ",1" : "1";
  return s + close;
}

} // namespace

// ---------------------------------------------------------------- header size

TEST(HostileInput, SafetensorsHeaderSizeLimit) {
  REQUIRE_FORMAT("safetensors");
  // A legitimate 2 KiB header: refused under a 1 KiB limit, loads by default.
  std::string meta = "\"__metadata__\":{\"note\":\"" + std::string(2000, 'x') + "\"}";
  const auto file =
      safetensors_file("{" + meta + "," + st_tensor("w", "[2]", 0, 8) + "}", floats(2));
  LoadOptions small;
  small.limits.max_header_bytes = 1024;
  expect_refused(file, "safetensors", "header", small);
  EXPECT_EQ(load_bytes(file, "safetensors").at("w").shape(), (Shape{2}));
  // Declared lengths: over the default limit, and within it but past the end.
  expect_refused(safetensors_file("{}", "", uint64_t{200'000'000}), "safetensors", "header");
  expect_refused(safetensors_file("{}", "", uint64_t{50'000'000}), "safetensors", "header");
  expect_refused(safetensors_file("{}", "", ~uint64_t{0}), "safetensors", "header");
}

TEST(HostileInput, NpzHeaderAndDirectorySizeLimits) {
  REQUIRE_FORMAT("npz");
  // A 4 KiB npy header (numpy writes such for long shapes): refused under a
  // 1 KiB limit, loads by default.
  const auto big_header = zip_file({wrel::stored("w.npy", npy("<f4", "(2,)", floats(2), 4096))});
  LoadOptions small;
  small.limits.max_header_bytes = 1024;
  expect_refused(big_header, "npz", "header", small);
  EXPECT_EQ(load_bytes(big_header, "npz").at("w").shape(), (Shape{2}));
  // A central directory bigger than the limit.
  std::vector<ZipMember> many;
  for (int i = 0; i < 40; ++i)
    many.push_back(
        wrel::stored("tensor" + std::to_string(i) + ".npy", npy("<f4", "(1,)", floats(1))));
  LoadOptions tiny;
  tiny.limits.max_header_bytes = 512;
  expect_refused(zip_file(many), "npz", "central directory", tiny);
  // An npy header length that runs past its member.
  std::string cut = npy("<f4", "(2,)", floats(2));
  cut[8] = '\xff';
  cut[9] = '\x7f';
  expect_refused(zip_file({wrel::stored("w.npy", cut)}), "npz", "header");
}

// ---------------------------------------------------------------- tensor count

TEST(HostileInput, TensorCountLimitBothFormats) {
  LoadOptions ten;
  ten.limits.max_tensors = 10;
  if (have_format("safetensors")) {
    std::string h = "{";
    for (int i = 0; i < 50; ++i)
      h += (i ? "," : "") + st_tensor("t" + std::to_string(i), "[1]", i * 4, i * 4 + 4);
    const auto file = safetensors_file(h + "}", floats(50));
    expect_refused(file, "safetensors", "10", ten);
    EXPECT_EQ(load_bytes(file, "safetensors").size(), 50u);
  }
  if (have_format("npz")) {
    std::vector<ZipMember> m;
    for (int i = 0; i < 50; ++i)
      m.push_back(wrel::stored("t" + std::to_string(i) + ".npy", npy("<f4", "(1,)", floats(1))));
    const auto file = zip_file(m);
    expect_refused(file, "npz", "10", ten);
    EXPECT_EQ(load_bytes(file, "npz").size(), 50u);
    // The end record claims 65534 members in a directory that holds one:
    // the directory decides, as in Python's zipfile (plugins/npz/README.md);
    // tests/npz/npz_directory_disagreement_test.cpp has the other cases.
    wrel::ZipLies lies;
    lies.count = 65534;
    EXPECT_EQ(load_bytes(zip_file({m[0]}, lies), "npz").size(), 1u);
  }
}

// ---------------------------------------------------------------- ndim

TEST(HostileInput, NdimLimitBothFormats) {
  LoadOptions wide;
  wide.limits.max_ndim = 100;
  if (have_format("safetensors")) {
    const auto file = safetensors_file("{" + st_tensor("w", dims(70), 0, 4) + "}", floats(1));
    expect_refused(file, "safetensors", "64"); // the default limit
    EXPECT_EQ(load_bytes(file, "safetensors", wide).at("w").shape().size(), 70u);
  }
  if (have_format("npz")) {
    const auto file = zip_file({wrel::stored("w.npy", npy("<f4", dims(70, "(", ")"), floats(1)))});
    expect_refused(file, "npz", "64");
    EXPECT_EQ(load_bytes(file, "npz", wide).at("w").shape().size(), 70u);
  }
}

// ---------------------------------------------------------------- name length

TEST(HostileInput, NameLengthLimitBothFormats) {
  const std::string long_name(300, 'n');
  LoadOptions short_names;
  short_names.limits.max_name_bytes = 100;
  if (have_format("safetensors")) {
    const auto file = safetensors_file("{" + st_tensor(long_name, "[1]", 0, 4) + "}", floats(1));
    expect_refused(file, "safetensors", "100", short_names);
    EXPECT_TRUE(load_bytes(file, "safetensors").contains(long_name));
  }
  if (have_format("npz")) {
    const auto file = zip_file({wrel::stored(long_name + ".npy", npy("<f4", "(1,)", floats(1)))});
    expect_refused(file, "npz", "100", short_names);
    EXPECT_TRUE(load_bytes(file, "npz").contains(long_name));
  }
}

// ---------------------------------------------------------------- shape overflow

TEST(HostileInput, ShapeProductsThatOverflowBothFormats) {
  const std::string shapes[] = {
      "4294967296,4294967296,16", // 2^68 elements
      "9223372036854775807,3",    // int64 max times 3
      "18446744073709551615",     // 2^64 - 1: not an int64
      "99999999999999999999999",  // not even a uint64
  };
  for (const auto &s : shapes) {
    SCOPED_TRACE(s);
    if (have_format("safetensors"))
      expect_refused(safetensors_file("{" + st_tensor("w", "[" + s + "]", 0, 4) + "}", floats(1)),
                     "safetensors", "");
    if (have_format("npz"))
      expect_refused(zip_file({wrel::stored("w.npy", npy("<f4", "(" + s + ",)", floats(1)))}),
                     "npz", "");
  }
  // Zero-size tensors may have huge other extents: that is not an overflow.
  if (have_format("safetensors")) {
    const auto zero = safetensors_file("{" + st_tensor("z", "[0,9223372036854775807]", 0, 0) + "}");
    EXPECT_EQ(load_bytes(zero, "safetensors").at("z").nbytes(), 0u);
  }
}

// ---------------------------------------------------------------- declared sizes

TEST(HostileInput, DeclaredSizesLargerThanTheFile) {
  if (have_format("safetensors")) {
    // 2^38 floats = 1 TiB declared, 4 bytes present.
    expect_refused(
        safetensors_file("{" + st_tensor("w", "[274877906944]", 0, uint64_t{1} << 40) + "}",
                         floats(1)),
        "safetensors", "");
    expect_refused(safetensors_file("{" + st_tensor("w", "[3]", 0, 12) + "}", floats(1)),
                   "safetensors", "");
  }
  if (have_format("npz")) {
    // The npy header describes a GiB, the member holds 8 bytes.
    expect_refused(zip_file({wrel::stored("w.npy", npy("<f4", "(268435456,)", floats(2)))}), "npz",
                   "short data");
    // The member's compressed size runs past the end of the file.
    ZipMember past = wrel::stored("w.npy", npy("<f4", "(2,)", floats(2)));
    past.compressed_size = past.uncompressed_size = 0x7fffffff;
    expect_refused(zip_file({past}), "npz", "w.npy");
    // A deflated member declaring 4 GiB from a few bytes (a zip bomb's
    // declaration): refused before inflating or allocating anything.
    const std::string inner = npy("<f4", "(2,)", floats(2));
    ZipMember bomb = wrel::deflated("w.npy", wrel::deflate_stored(inner), inner);
    bomb.uncompressed_size = 0xfffffff0u;
    expect_refused(zip_file({bomb}), "npz", "deflate");
  }
}

// ---------------------------------------------------------------- deflate lies

TEST(HostileInput, DeflateStreamsThatInflatePastOrShortOfTheirDeclaredSize) {
  REQUIRE_FORMAT("npz");
  const std::string good = npy("<f4", "(3,)", floats(3));
  {
    // Inflates to 64 bytes more than declared (the header and CRC agree with
    // the declared part, so only the size check can catch it).
    ZipMember m = wrel::deflated("w.npy", wrel::deflate_stored(good + std::string(64, 'X')), good);
    expect_refused(zip_file({m}), "npz", "more than its declared size");
  }
  {
    // Declares 64 bytes more than it inflates to (npy header agrees).
    const std::string longer = npy("<f4", "(19,)", floats(19));
    ZipMember m = wrel::deflated("w.npy", wrel::deflate_stored(good), longer);
    expect_refused(zip_file({m}), "npz", "");
  }
  {
    // The stream is cut: no final block.
    std::string cut = wrel::deflate_stored(good);
    cut[0] = '\0';
    ZipMember m = wrel::deflated("w.npy", cut, good);
    expect_refused(zip_file({m}), "npz", "");
  }
  {
    // The same, correctly declared, loads (so the builders are right).
    ZipMember m = wrel::deflated("w.npy", wrel::deflate_stored(good), good);
    EXPECT_EQ(load_bytes(zip_file({m}), "npz").at("w").data<float>()[2], 1.0f);
  }
}

TEST(HostileInput, AllocationLimitCapsCopiesAndInflation) {
  REQUIRE_FORMAT("npz");
  // Both need a copy: a deflated member, and a big-endian one (byte swap).
  const std::string inner = npy("<f4", "(4096,)", floats(4096));
  ZipMember deflated = wrel::deflated("d.npy", wrel::deflate_stored(inner), inner);
  ZipMember swapped = wrel::stored("s.npy", npy(">f4", "(4096,)", floats(4096)));
  LoadOptions capped;
  capped.limits.max_alloc_bytes = 8192; // each needs 16 KiB
  for (const auto &m : {deflated, swapped}) {
    SCOPED_TRACE(m.name);
    const auto file = zip_file({m});
    try {
      load_bytes(file, "npz", capped);
      ADD_FAILURE() << "loaded over the allocation limit";
    } catch (const Error &e) {
      EXPECT_NE(std::string(e.what()).find(m.name.substr(0, 1)), std::string::npos) << e.what();
    }
    EXPECT_EQ(load_bytes(file, "npz").begin()->second.nbytes(), 16384u);
  }
}

// ---------------------------------------------------------------- ZIP structure

TEST(HostileInput, ZipEntriesOverlappingOrPointingOutside) {
  REQUIRE_FORMAT("npz");
  const ZipMember a = wrel::stored("a.npy", npy("<f4", "(2,)", floats(2)));
  const ZipMember b = wrel::stored("b.npy", npy("<f4", "(2,)", floats(2, 2.0f)));
  {
    // Two central entries for one local header (both named a.npy, so the
    // local name check passes): overlapping members.
    ZipMember twin = a;
    twin.central_local_offset = 0;
    expect_refused(zip_file({a, twin}), "npz", "");
  }
  {
    // b's central entry points into a's data.
    ZipMember into = b;
    into.central_local_offset = 40;
    expect_refused(zip_file({a, into}), "npz", "b.npy");
  }
  {
    // A local header offset past the central directory / past the file.
    ZipMember out = a;
    out.central_local_offset = 0x7ffffff0;
    expect_refused(zip_file({out}), "npz", "outside");
  }
  {
    // The central directory's offset and size point outside the file.
    wrel::ZipLies off;
    off.cd_offset = 0x7ffffff0;
    expect_refused(zip_file({a}, off), "npz", "outside");
    wrel::ZipLies size;
    size.cd_size = 0x7ffffff0;
    expect_refused(zip_file({a}, size), "npz", "outside");
  }
  {
    // A member's data running into the central directory.
    ZipMember longer = a;
    longer.compressed_size = longer.uncompressed_size = static_cast<uint32_t>(a.data.size() + 30);
    expect_refused(zip_file({longer}), "npz", "");
  }
  EXPECT_EQ(load_bytes(zip_file({a, b}), "npz").size(), 2u);
}

// Everything above through the reader that must never trust its plugin:
// garbage of every length is refused as an error of some kind.
TEST(HostileInput, ShortAndEmptyFilesAreRefused) {
  for (const char *format : {"npz", "safetensors"}) {
    if (!have_format(format))
      continue;
    SCOPED_TRACE(format);
    for (size_t n : {0, 1, 7, 8, 21, 22, 64}) {
      std::vector<uint8_t> bytes(n, 0);
      if (n >= 22 && std::string(format) == "npz") {
        bytes[n - 22] = 'P', bytes[n - 21] = 'K', bytes[n - 20] = 5, bytes[n - 19] = 6;
      }
      try {
        Weights w = load_bytes(bytes, format);
        // An empty archive with only an end record is a valid, empty npz.
        EXPECT_TRUE(w.empty()) << n;
      } catch (const Error &e) {
        EXPECT_NE(e.code(), ErrorCode::Internal) << e.what();
      }
    }
  }
}
