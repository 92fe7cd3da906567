// The plugin seen through its C ABI, as the core sees it: how the writer
// uses the sink (writev batches, pointers to the host's own bytes, progress)
// and what the reader hands back (MAPPED offsets, data order, no copies).
#include "abi_host.hpp"
#include "safetensors_reference.hpp"
#include "test_support.hpp"

#include <weightio/plugin_abi.h>
#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include <climits>
#include <cstring>

using namespace weightio;

namespace {

// The safetensors plugin the registry found, opened a second time directly.
class Plugin : public wtest::AbiPlugin {
public:
  Plugin() : wtest::AbiPlugin(plugin_path_for_format("safetensors")) {}
};

struct RecordingSink {
  std::thread::id thread = std::this_thread::get_id();
  bool other_thread = false; // a callback came from a thread other than the creator's
  std::vector<uint8_t> bytes;
  uint64_t largest_write = 0;
  size_t write_calls = 0;
  std::vector<std::vector<wio_iovec>> writev_calls;
  std::vector<std::pair<uint64_t, uint64_t>> progress;

  wio_sink sink() {
    wio_sink s{};
    s.struct_size = sizeof s;
    s.ctx = this;
    s.write = [](void *c, const void *d, size_t n) -> int32_t {
      auto &self = *static_cast<RecordingSink *>(c);
      self.other_thread |= std::this_thread::get_id() != self.thread;
      self.largest_write = std::max<uint64_t>(self.largest_write, n);
      ++self.write_calls;
      self.bytes.insert(self.bytes.end(), static_cast<const uint8_t *>(d),
                        static_cast<const uint8_t *>(d) + n);
      return WIO_OK;
    };
    s.writev = [](void *c, const wio_iovec *iov, size_t count) -> int32_t {
      auto &self = *static_cast<RecordingSink *>(c);
      self.other_thread |= std::this_thread::get_id() != self.thread;
      self.writev_calls.emplace_back(iov, iov + count);
      for (size_t i = 0; i < count; ++i)
        self.bytes.insert(self.bytes.end(), static_cast<const uint8_t *>(iov[i].data),
                          static_cast<const uint8_t *>(iov[i].data) + iov[i].size);
      return WIO_OK;
    };
    s.pwrite = [](void *, uint64_t, const void *, size_t) -> int32_t { return WIO_ERR_IO; };
    s.position = [](void *c) -> uint64_t { return static_cast<RecordingSink *>(c)->bytes.size(); };
    s.progress = [](void *c, uint64_t done, uint64_t total) -> int32_t {
      auto &self = *static_cast<RecordingSink *>(c);
      self.other_thread |= std::this_thread::get_id() != self.thread;
      self.progress.emplace_back(done, total);
      return WIO_OK;
    };
    return s;
  }
};

using Input = wtest::AbiTensor;
using wtest::to_abi;

int32_t write(const Plugin &p, const std::vector<wio_tensor_in> &tensors, RecordingSink &rec,
              std::string &error) {
  const wio_sink sink = rec.sink();
  wio_write_request r{};
  r.struct_size = sizeof r;
  r.tensors = tensors.data();
  r.tensor_count = tensors.size();
  r.sink = &sink;
  char buf[1024] = {};
  const int32_t st = p.format().write(&r, buf, sizeof buf);
  error = buf;
  return st;
}

struct Emitted {
  std::string name;
  int32_t storage;
  uint64_t offset;
  uint64_t nbytes;
};

struct ReadRecord {
  std::vector<Emitted> tensors;
  std::vector<std::pair<std::string, std::string>> metadata;
  size_t allocs = 0;
  std::string skip;
};

int32_t read(const Plugin &p, const std::vector<uint8_t> &file, ReadRecord &rec) {
  wio_read_limits limits{};
  limits.struct_size = sizeof limits;
  wio_read_request r{};
  r.struct_size = sizeof r;
  r.data = file.data();
  r.size = file.size();
  r.limits = &limits;
  r.ctx = &rec;
  r.alloc = [](void *c, uint64_t, uint64_t) -> void * {
    ++static_cast<ReadRecord *>(c)->allocs;
    return nullptr;
  };
  r.wants = [](void *c, wio_str name) -> int32_t {
    return std::string_view(name.data, name.size) != static_cast<ReadRecord *>(c)->skip;
  };
  r.emit_tensor = [](void *c, const wio_tensor_out *t) -> int32_t {
    static_cast<ReadRecord *>(c)->tensors.push_back(
        {std::string(t->name.data, t->name.size), t->storage, t->offset, t->nbytes});
    return WIO_OK;
  };
  r.emit_metadata = [](void *c, wio_str k, wio_str v) -> int32_t {
    static_cast<ReadRecord *>(c)->metadata.emplace_back(std::string(k.data, k.size),
                                                        std::string(v.data, v.size));
    return WIO_OK;
  };
  r.progress = [](void *, uint64_t, uint64_t) -> int32_t { return WIO_OK; };
  char buf[1024];
  return p.format().read(&r, buf, sizeof buf);
}

} // namespace

// The writer hands 3000 small tensors to the sink as they are, in order, and
// reports progress to the end; gathering small writes into large blocks is
// the host sink's job since ABI 2 (FileSink, tests/core/file_sink_concurrency_test.cpp), so a
// plain sink sees one write per piece and the bytes of the official file.
TEST(SafetensorsAbi, WriterHandsSmallTensorsToTheSinkInOrder) {
  const Plugin plugin;
  std::vector<Input> in;
  for (int i = 0; i < 3000; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "t%04d", i);
    in.push_back({name, WIO_DTYPE_F32, {1}, std::vector<uint8_t>(4, static_cast<uint8_t>(i))});
  }
  const auto tensors = to_abi(in);
  RecordingSink rec;
  std::string error;
  ASSERT_EQ(write(plugin, tensors, rec, error), WIO_OK) << error;

  EXPECT_GE(rec.write_calls + rec.writev_calls.size(), 1u);
  ASSERT_FALSE(rec.progress.empty());
  const std::pair<uint64_t, uint64_t> all_done(12000, 12000);
  EXPECT_EQ(rec.progress.back(), all_done);

  // Same bytes as through the public API.
  FlatParams params;
  for (const auto &t : in)
    params.emplace(t.name, TensorView(DType::F32, {1}, t.bytes.data()));
  SaveOptions opts;
  opts.format = "safetensors";
  EXPECT_EQ(rec.bytes, save_weights_to_memory(params, opts));
}

// A large tensor goes out in bounded writes with progress after each, all on
// the thread that called write (the ABI's rule, though a helper thread makes
// the stream).
TEST(SafetensorsAbi, LargeTensorsAreWrittenInBoundedPartsWithProgress) {
  const Plugin plugin;
  const uint64_t size = (uint64_t{64} << 20) + 12345;
  std::vector<Input> in = {{"big", WIO_DTYPE_U8, {static_cast<int64_t>(size)}, {}},
                           {"small", WIO_DTYPE_U8, {100}, std::vector<uint8_t>(100, 7)}};
  in[0].bytes.resize(size);
  for (uint64_t i = 0; i < size; i += 4096)
    in[0].bytes[i] = static_cast<uint8_t>(i >> 12);
  const auto tensors = to_abi(in);
  RecordingSink rec;
  std::string error;
  ASSERT_EQ(write(plugin, tensors, rec, error), WIO_OK) << error;
  EXPECT_FALSE(rec.other_thread) << "the sink was called from another thread";
  EXPECT_GE(rec.write_calls + rec.writev_calls.size(), 8u);
  EXPECT_LE(rec.largest_write, uint64_t{16} << 20);
  EXPECT_GE(rec.progress.size(), 8u);
  EXPECT_TRUE(std::is_sorted(rec.progress.begin(), rec.progress.end()));
  EXPECT_EQ(rec.progress.back(), std::pair(size + 100, size + 100));
  ASSERT_GE(rec.bytes.size(), 8u);
  uint64_t n = 0;
  std::memcpy(&n, rec.bytes.data(), 8); // little-endian host
  EXPECT_EQ(n % 8, 0u);
  ASSERT_EQ(rec.bytes.size(), 8 + n + size + 100);
  // U8 tensors sort by name: "big" first, then "small".
  EXPECT_EQ(std::memcmp(rec.bytes.data() + 8 + n, in[0].bytes.data(), size), 0);
  EXPECT_EQ(rec.bytes.back(), 7);
}

TEST(SafetensorsAbi, WriterRefusesComplex128ItselfNamingTheTensor) {
  const Plugin plugin;
  EXPECT_EQ(plugin.format().write_dtypes & WIO_DTYPE_BIT(WIO_DTYPE_C128), 0u);
  std::vector<Input> in = {{"phase", WIO_DTYPE_C128, {1}, std::vector<uint8_t>(16)}};
  RecordingSink rec;
  std::string error;
  EXPECT_EQ(write(plugin, to_abi(in), rec, error), WIO_ERR_UNSUPPORTED_DTYPE);
  EXPECT_NE(error.find("'phase'"), std::string::npos) << error;
  EXPECT_TRUE(rec.bytes.empty());
}

TEST(SafetensorsAbi, ReaderEmitsMappedOffsetsInDataOrderAndNeverCopies) {
  const Plugin plugin;
  const std::string file = "h01_unsorted_misaligned.safetensors";
  const auto bytes = wtest::read_bytes(sttest::reference_path(file));
  const auto e = sttest::expected_for(file);
  ReadRecord rec;
  ASSERT_EQ(read(plugin, bytes, rec), WIO_OK);
  ASSERT_EQ(rec.tensors.size(), e.tensors.size());
  for (size_t i = 0; i < e.tensors.size(); ++i) {
    EXPECT_EQ(rec.tensors[i].name, e.tensors[i].name);
    EXPECT_EQ(rec.tensors[i].storage, WIO_STORAGE_MAPPED); // the host copies misaligned ones
    EXPECT_EQ(rec.tensors[i].offset, e.data_start + e.tensors[i].begin);
    EXPECT_EQ(rec.tensors[i].nbytes, e.tensors[i].nbytes);
  }
  EXPECT_EQ(rec.allocs, 0u);
}

TEST(SafetensorsAbi, ReaderSkipsUnwantedTensorsAndEmitsMetadata) {
  const Plugin plugin;
  const std::string file = "w10_many_1000.safetensors";
  const auto bytes = wtest::read_bytes(sttest::reference_path(file));
  const auto e = sttest::expected_for(file);
  ReadRecord rec;
  rec.skip = e.tensors[0].name;
  ASSERT_EQ(read(plugin, bytes, rec), WIO_OK);
  ASSERT_EQ(rec.tensors.size(), e.tensors.size() - 1);
  EXPECT_EQ(rec.tensors[0].name, e.tensors[1].name);
  EXPECT_EQ(rec.metadata, (std::vector<std::pair<std::string, std::string>>{{"format", "pt"}}));
}

TEST(SafetensorsAbi, ProbeRecognisesTheHeader) {
  const Plugin plugin;
  auto probe = [&](const std::vector<uint8_t> &head) {
    return plugin.format().probe(head.data(), head.size());
  };
  const auto w01 = wtest::read_bytes(sttest::reference_path("w01_basic_dtypes.safetensors"));
  EXPECT_EQ(probe(std::vector<uint8_t>(w01.begin(), w01.begin() + 64)), WIO_PROBE_YES);
  EXPECT_EQ(probe(std::vector<uint8_t>(w01.begin(), w01.begin() + 8)), WIO_PROBE_UNSURE);
  EXPECT_EQ(probe(wtest::read_bytes(sttest::reference_path("m01_file_5_bytes.safetensors"))),
            WIO_PROBE_NO);
  EXPECT_EQ(probe(wtest::read_bytes(sttest::reference_path("m06_header_len_u64_max.safetensors"))),
            WIO_PROBE_NO);
  const std::vector<uint8_t> zip = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(probe(zip), WIO_PROBE_NO);
}
