// weightio_npz.so through its C ABI alone, as any host would drive it: the
// descriptor, probe, the plugin's own refusals (it does not rely on the
// host's dtype check), sink failures and cancellation, and how it emits
// tensors (views for stored members, buffers for deflated ones).
#include "abi_host.hpp"
#include "npz_test_util.hpp"
#include "test_support.hpp"

#include <weightio/plugin_abi.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using npztest::contains;

const wio_format &npz_format() {
  static const wtest::AbiPlugin plugin(std::string(WEIGHTIO_BINARY_DIR) +
                                       "/lib/weightio/plugins/weightio_npz.so");
  return plugin.format();
}

// A sink into memory that can fail or cancel on demand.
struct MemorySink {
  std::vector<uint8_t> bytes;
  int32_t fail_with = WIO_OK;
  int32_t progress_status = WIO_OK;
  wio_sink sink{};
  MemorySink() {
    sink.struct_size = sizeof sink;
    sink.ctx = this;
    sink.write = [](void *c, const void *d, size_t n) {
      auto *s = static_cast<MemorySink *>(c);
      if (s->fail_with != WIO_OK)
        return s->fail_with;
      s->bytes.insert(s->bytes.end(), static_cast<const uint8_t *>(d),
                      static_cast<const uint8_t *>(d) + n);
      return int32_t{WIO_OK};
    };
    sink.writev = [](void *c, const wio_iovec *iov, size_t count) {
      for (size_t i = 0; i < count; ++i)
        if (int32_t st = static_cast<MemorySink *>(c)->sink.write(c, iov[i].data, iov[i].size))
          return st;
      return int32_t{WIO_OK};
    };
    sink.pwrite = [](void *c, uint64_t off, const void *d, size_t n) {
      auto *s = static_cast<MemorySink *>(c);
      if (off + n > s->bytes.size())
        return int32_t{WIO_ERR_INTERNAL};
      std::memcpy(s->bytes.data() + off, d, n);
      return int32_t{WIO_OK};
    };
    sink.position = [](void *c) -> uint64_t { return static_cast<MemorySink *>(c)->bytes.size(); };
    sink.progress = [](void *c, uint64_t, uint64_t) {
      return static_cast<MemorySink *>(c)->progress_status;
    };
  }
};

using InTensor = wtest::AbiTensor;

int32_t write(const std::vector<InTensor> &in, MemorySink &sink, int32_t level, std::string &error,
              uint32_t flags = 0) {
  const std::vector<wio_tensor_in> ts = wtest::to_abi(in);
  wio_write_request r{};
  r.struct_size = sizeof r;
  r.flags = flags;
  r.tensors = ts.data();
  r.tensor_count = ts.size();
  r.compression_level = level;
  r.sink = &sink.sink;
  char buf[1024] = {};
  const int32_t st = npz_format().write(&r, buf, sizeof buf);
  error = buf;
  return st;
}

struct Emitted {
  std::string name;
  int32_t storage;
  uint64_t offset;
  uint64_t nbytes;
  std::vector<uint8_t> bytes;
};

struct Reader {
  std::vector<std::unique_ptr<uint8_t, decltype(&std::free)>> blocks;
  std::vector<Emitted> out;
  const uint8_t *input = nullptr;
};

int32_t read(const std::vector<uint8_t> &file, Reader &reader, std::string &error) {
  wio_read_limits limits{sizeof(wio_read_limits), 1 << 20, 100000, 64, 1 << 16};
  wio_read_request r{};
  r.struct_size = sizeof r;
  r.data = file.data();
  r.size = file.size();
  r.limits = &limits;
  r.ctx = &reader;
  reader.input = file.data();
  r.alloc = [](void *c, uint64_t size, uint64_t align) -> void * {
    void *p = std::aligned_alloc(align, (size + align - 1) / align * align + align);
    static_cast<Reader *>(c)->blocks.emplace_back(static_cast<uint8_t *>(p), &std::free);
    return p;
  };
  r.wants = [](void *, wio_str) { return int32_t{1}; };
  r.emit_tensor = [](void *c, const wio_tensor_out *t) {
    auto *rd = static_cast<Reader *>(c);
    const uint8_t *p = t->storage == WIO_STORAGE_MAPPED ? rd->input + t->offset
                                                        : static_cast<uint8_t *>(t->buffer);
    rd->out.push_back({std::string(t->name.data, t->name.size), t->storage, t->offset, t->nbytes,
                       std::vector<uint8_t>(p, p + t->nbytes)});
    return int32_t{WIO_OK};
  };
  r.emit_metadata = [](void *, wio_str, wio_str) { return int32_t{WIO_OK}; };
  r.progress = [](void *, uint64_t, uint64_t) { return int32_t{WIO_OK}; };
  char buf[1024] = {};
  const int32_t st = npz_format().read(&r, buf, sizeof buf);
  error = buf;
  return st;
}

TEST(NpzPluginAbi, DescriptorDeclaresWhatNpzHolds) {
  const wio_format &f = npz_format();
  EXPECT_STREQ(f.name, "npz");
  ASSERT_NE(f.extensions[0], nullptr);
  EXPECT_STREQ(f.extensions[0], "npz");
  EXPECT_EQ(f.extensions[1], nullptr);
  EXPECT_EQ(f.caps, WIO_CAP_READ | WIO_CAP_WRITE | WIO_CAP_COMPRESSION);
  for (int32_t d = 0; d < static_cast<int32_t>(WIO_DTYPE_COUNT_V1); ++d)
    EXPECT_EQ((f.write_dtypes & WIO_DTYPE_BIT(d)) != 0, d <= WIO_DTYPE_C128) << d;
}

TEST(NpzPluginAbi, ProbeLooksAtTheFirstMember) {
  const auto numpy_file = wtest::read_bytes(wtest::data_path("npz/n01_basic_dtypes.npz"));
  EXPECT_EQ(npz_format().probe(numpy_file.data(), 64), WIO_PROBE_YES);
  EXPECT_EQ(npz_format().probe(numpy_file.data(), 20), WIO_PROBE_UNSURE);
  const uint8_t empty_zip[22] = {'P', 'K', 5, 6};
  EXPECT_EQ(npz_format().probe(empty_zip, sizeof empty_zip), WIO_PROBE_UNSURE);
  const std::string text = "{\"__metadata__\":{}}";
  EXPECT_EQ(npz_format().probe(reinterpret_cast<const uint8_t *>(text.data()), text.size()),
            WIO_PROBE_NO);
  EXPECT_EQ(npz_format().probe(nullptr, 0), WIO_PROBE_UNSURE);
}

TEST(NpzPluginAbi, RefusesUnholdableDtypesBeforeWritingAnything) {
  MemorySink sink;
  std::string error;
  std::vector<InTensor> in = {{"ok", WIO_DTYPE_F32, {2}, std::vector<uint8_t>(8)},
                              {"head.q", WIO_DTYPE_F8_E4M3, {4}, std::vector<uint8_t>(4)}};
  EXPECT_EQ(write(in, sink, 0, error), WIO_ERR_UNSUPPORTED_DTYPE);
  EXPECT_TRUE(contains(error, "'head.q'")) << error;
  EXPECT_TRUE(contains(error, "F8_E4M3")) << error;
  EXPECT_TRUE(sink.bytes.empty());

  in.pop_back();
  EXPECT_EQ(write(in, sink, 10, error), WIO_ERR_UNSUPPORTED_OPTION);
  EXPECT_TRUE(contains(error, "compression level")) << error;
  EXPECT_TRUE(sink.bytes.empty());
}

TEST(NpzPluginAbi, SinkFailureAndCancellationAreReturned) {
  std::vector<InTensor> in = {{"a", WIO_DTYPE_F32, {2}, std::vector<uint8_t>(8)}};
  std::string error;
  MemorySink failing;
  failing.fail_with = WIO_ERR_IO;
  EXPECT_EQ(write(in, failing, 0, error), WIO_ERR_IO);
  MemorySink cancelling;
  cancelling.progress_status = WIO_ERR_CANCELLED;
  EXPECT_EQ(write(in, cancelling, -1, error), WIO_ERR_CANCELLED);
}

TEST(NpzPluginAbi, StoredMembersAreViewsAndDeflatedOnesBuffers) {
  std::vector<InTensor> in;
  for (int i = 0; i < 5; ++i)
    in.push_back({"t" + std::to_string(i),
                  WIO_DTYPE_F64,
                  {3, i + 1},
                  npztest::random_bytes(weightio::DType::F64, 24 * (i + 1), i)});
  for (int32_t level : {0, 6}) {
    SCOPED_TRACE(level);
    MemorySink sink;
    std::string error;
    ASSERT_EQ(write(in, sink, level, error, WIO_WRITE_FORCE_ZIP64), WIO_OK) << error;
    Reader reader;
    ASSERT_EQ(read(sink.bytes, reader, error), WIO_OK) << error;
    ASSERT_EQ(reader.out.size(), in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      const Emitted &e = reader.out[i];
      EXPECT_EQ(e.name, in[i].name);
      EXPECT_EQ(e.bytes, in[i].bytes);
      if (level == 0) {
        EXPECT_EQ(e.storage, WIO_STORAGE_MAPPED);
        EXPECT_EQ(e.offset % 64, 0u) << "stored data is 64-byte aligned in the file";
        if (i > 0) {
          EXPECT_GT(e.offset, reader.out[i - 1].offset) << "emitted in file order";
        }
      } else {
        EXPECT_EQ(e.storage, WIO_STORAGE_BUFFER);
      }
    }
  }
}

} // namespace
