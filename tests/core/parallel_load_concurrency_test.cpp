// The parallel load engine (LoadOptions::threads, read_into_memory's ranged
// reads, load_weights_into's direct writes, on_ready): every reference file
// loads to the same bytes and the same error whatever the thread count and
// however the bytes arrive. Compiled into the concurrency binary, so the
// ThreadSanitizer run of scripts/test.sh races these loads.
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

using namespace weightio;
namespace fs = std::filesystem;

namespace {

struct Config {
  unsigned threads;
  bool read_into_memory;
  std::string label() const {
    return std::to_string(threads) + (read_into_memory ? " threads, read" : " threads, mapped");
  }
};

const Config kConfigs[] = {{1, false}, {2, false}, {8, false}, {1, true}, {2, true}, {8, true}};

// Everything a load returns that a caller could see, as text: each tensor's
// name, type, shape and a hash of its bytes, and the metadata; or the error.
std::string outcome(const fs::path &path, LoadOptions o) {
  try {
    const Weights w = load_weights(path, o);
    std::string s = "ok";
    for (const auto &[name, t] : w) {
      s += "\n" + name + " " + std::string(t.type_name()) + " " + shape_to_string(t.shape()) + " " +
           wtest::sha256_hex(t.data(), t.nbytes());
    }
    for (const auto &[key, value] : w.metadata)
      s += "\nmeta " + key;
    return s;
  } catch (const Error &e) {
    return "error " + std::to_string(static_cast<int>(e.code())) + ": " + e.what();
  }
}

std::vector<fs::path> reference_files() {
  std::vector<fs::path> out;
  for (const char *folder : {"npz", "safetensors", "gguf"})
    for (const auto &entry : fs::directory_iterator(wtest::data_path(folder))) {
      const std::string ext = entry.path().extension().string();
      if (ext == ".npz" || ext == ".safetensors" || ext == ".gguf")
        out.push_back(entry.path());
    }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_same_everywhere(const fs::path &path, const LoadOptions &base) {
  LoadOptions o = base;
  o.threads = 1;
  const std::string expected = outcome(path, o);
  for (const Config &c : kConfigs) {
    SCOPED_TRACE(path.filename().string() + ", " + c.label());
    o.threads = c.threads;
    o.read_into_memory = c.read_into_memory;
    EXPECT_EQ(outcome(path, o), expected);
  }
}

TEST(ParallelLoadConcurrency, ReferenceFilesLoadTheSameWhateverTheThreadsAndReads) {
  const auto files = reference_files();
  ASSERT_GE(files.size(), 100u);
  size_t loaded = 0;
  for (const auto &f : files) {
    expect_same_everywhere(f, {});
    loaded += outcome(f, {}).rfind("ok", 0) == 0;
  }
  EXPECT_GT(loaded, 40u) << "the good reference files load";
}

TEST(ParallelLoadConcurrency, DequantizedGgufIsTheSameWhateverTheThreads) {
  for (const char *name : {"g05_quantize.gguf", "g06_kquants_raw.gguf", "g07_iquants_raw.gguf",
                           "g14_big_endian.gguf"}) {
    for (const char *to : {"f32", "f16", "bf16"}) {
      LoadOptions o;
      o.format_options["dequantize"] = to;
      const fs::path path = wtest::data_path(std::string("gguf/") + name);
      ASSERT_EQ(outcome(path, o).rfind("ok", 0), 0u) << name << " " << outcome(path, o);
      expect_same_everywhere(path, o);
    }
  }
}

TEST(ParallelLoadConcurrency, ShardedCheckpointsLoadTheSameWhateverTheThreads) {
  for (const auto &entry : fs::directory_iterator(wtest::data_path("sharded")))
    if (entry.is_directory())
      expect_same_everywhere(entry.path(), {});
}

// ----------------------------------------------------- errors in file order

// A little-endian F32 tensor of n elements, all `v`.
std::vector<float> filled(size_t n, float v) {
  return std::vector<float>(n, v);
}

struct LocalMember {
  uint64_t data_offset; // where the member's bytes (npy or deflate stream) start
  uint64_t size;        // compressed size
};

// The k-th local file header of a small (non-ZIP64) archive.
LocalMember local_member(const std::vector<uint8_t> &zip, int k) {
  auto u16 = [&](size_t at) { return uint64_t{zip[at]} | uint64_t{zip[at + 1]} << 8; };
  auto u32 = [&](size_t at) { return u16(at) | u16(at + 2) << 16; };
  size_t at = 0;
  for (int seen = 0;; ++at) {
    if (at + 30 > zip.size())
      throw std::runtime_error("no such member");
    if (zip[at] == 'P' && zip[at + 1] == 'K' && zip[at + 2] == 3 && zip[at + 3] == 4 && seen++ == k)
      break;
  }
  return {at + 30 + u16(at + 26) + u16(at + 28), u32(at + 18)};
}

TEST(ParallelLoadConcurrency, TheFirstCorruptMemberInTheFileIsReportedAtAnyThreadCount) {
  wtest::TempDir dir;
  const auto a = filled(300'000, 1.0f), b = filled(1'500'000, 2.0f), c = filled(1000, 3.0f);
  FlatParams p;
  p.emplace("a", TensorView(DType::F32, {300'000}, a.data()));
  p.emplace("b", TensorView(DType::F32, {1'500'000}, b.data()));
  p.emplace("c", TensorView(DType::F32, {1000}, c.data()));
  for (int level : {0, 6}) {
    SCOPED_TRACE(level);
    SaveOptions so;
    so.compression = level;
    const fs::path path = dir / ("m" + std::to_string(level) + ".npz");
    save_weights(path, p, so);
    auto bytes = wtest::read_bytes(path);
    // b: a flipped byte in the middle of its data; c: its first byte broken,
    // so its header (or stream) fails while the reader parses it, after b
    // was handed on for checking.
    const LocalMember mb = local_member(bytes, 1), mc = local_member(bytes, 2);
    bytes[mb.data_offset + mb.size / 2] ^= 0x40;
    bytes[mc.data_offset] ^= 0xff;
    wtest::write_bytes(path, bytes);
    const std::string expected = outcome(path, {});
    EXPECT_NE(expected.find("member 'b.npy'"), std::string::npos) << expected;
    EXPECT_EQ(expected.find("'c.npy'"), std::string::npos) << expected;
    expect_same_everywhere(path, {});
  }
}

// CRC-32 (ZIP), bit by bit: an implementation independent of the plugin's.
uint32_t crc32_bitwise(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k)
      c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// A stored member over the host's 4 MiB part is CRC'd in parts on several
// threads and the parts combined: a healthy one loads, and a flipped byte
// in its second part gives the CRC of the whole member as it now is.
TEST(ParallelLoadConcurrency, LargeStoredMembersAreCheckedInPartsAsAWhole) {
  wtest::TempDir dir;
  const auto a = filled(1000, 1.0f), b = filled(2'500'000, 2.0f); // b: 10 MB, 3 parts
  FlatParams p;
  p.emplace("a", TensorView(DType::F32, {1000}, a.data()));
  p.emplace("b", TensorView(DType::F32, {2'500'000}, b.data()));
  const fs::path path = dir / "m.npz";
  save_weights(path, p, {});
  const std::string healthy = outcome(path, {});
  EXPECT_EQ(healthy.rfind("ok", 0), 0u) << healthy;
  expect_same_everywhere(path, {});

  auto bytes = wtest::read_bytes(path);
  const LocalMember mb = local_member(bytes, 1);
  bytes[mb.data_offset + mb.size - 1'000'000] ^= 0x01; // in the last part
  wtest::write_bytes(path, bytes);
  char computed[16];
  std::snprintf(computed, sizeof computed, "0x%08x",
                crc32_bitwise(bytes.data() + mb.data_offset, mb.size));
  const std::string broken = outcome(path, {});
  EXPECT_NE(broken.find("member 'b.npy'"), std::string::npos) << broken;
  EXPECT_NE(broken.find(std::string("the data gives ") + computed), std::string::npos) << broken;
  expect_same_everywhere(path, {});
}

// ------------------------------------------------------------------ on_ready

TEST(ParallelLoadConcurrency, OnReadyGetsEachTensorOnceWithItsFinalBytes) {
  const char *files[] = {"npz/n01_basic_dtypes.npz",
                         "npz/n04_compressed.npz",
                         "npz/n05_fortran_order.npz",
                         "npz/n06_big_endian.npz",
                         "safetensors/h01_unsorted_misaligned.safetensors",
                         "safetensors/w10_many_1000.safetensors",
                         "gguf/g05_quantize.gguf"};
  for (const char *file : files)
    for (const Config &c : kConfigs) {
      SCOPED_TRACE(std::string(file) + ", " + c.label());
      std::map<std::string, std::string> seen;
      int calls = 0;
      LoadOptions o;
      o.threads = c.threads;
      o.read_into_memory = c.read_into_memory;
      o.on_ready = [&](const std::string &name, const Tensor &t) {
        ++calls; // never concurrent: no lock needed (TSan checks that)
        seen[name] = wtest::sha256_hex(t.data(), t.nbytes());
      };
      const Weights w = load_weights(wtest::data_path(file), o);
      EXPECT_EQ(static_cast<size_t>(calls), w.size());
      ASSERT_EQ(seen.size(), w.size());
      for (const auto &[name, t] : w)
        EXPECT_EQ(seen[name], wtest::sha256_hex(t.data(), t.nbytes())) << name;
    }
}

// Progress says "all done" once the work deferred to the load's threads is
// done too: every tensor is ready by then, and nothing is reported after.
TEST(ParallelLoadConcurrency, ProgressReachesTheTotalOnlyOnceEveryTensorIsReady) {
  wtest::TempDir dir;
  const auto big = filled(2'500'000, 2.0f), small = filled(1000, 1.0f);
  FlatParams p;
  p.emplace("big", TensorView(DType::F32, {2'500'000}, big.data()));
  p.emplace("small", TensorView(DType::F32, {1000}, small.data()));
  for (int level : {0, 1}) {
    SaveOptions so;
    so.compression = level; // stored: CRC checks; deflated: inflation
    const fs::path path = dir / ("p" + std::to_string(level) + ".npz");
    save_weights(path, p, so);
    for (const Config &c : kConfigs) {
      SCOPED_TRACE(std::to_string(level) + ", " + c.label());
      std::atomic<size_t> ready{0};
      size_t ready_at_total = SIZE_MAX, totals = 0, after_total = 0;
      LoadOptions o;
      o.threads = c.threads;
      o.read_into_memory = c.read_into_memory;
      o.on_ready = [&](const std::string &, const Tensor &) { ++ready; };
      o.progress = [&](uint64_t done, uint64_t total) {
        if (totals > 0)
          ++after_total;
        if (total != 0 && done == total) {
          ++totals;
          ready_at_total = ready.load();
        }
        return true;
      };
      const Weights w = load_weights(path, o);
      EXPECT_EQ(totals, 1u);
      EXPECT_EQ(after_total, 0u);
      EXPECT_EQ(ready_at_total, w.size());
    }
  }
}

TEST(ParallelLoadConcurrency, OnReadyRespectsOnlyAndItsExceptionFailsTheLoad) {
  const fs::path file = wtest::data_path("npz/n04_compressed.npz");
  const Weights all = load_weights(file);
  ASSERT_GE(all.size(), 2u);
  const std::string first = all.begin()->first;
  std::set<std::string> seen;
  LoadOptions o;
  o.only = {first};
  o.on_ready = [&](const std::string &name, const Tensor &) { seen.insert(name); };
  load_weights(file, o);
  EXPECT_EQ(seen, std::set<std::string>{first});

  LoadOptions throwing;
  throwing.threads = 4;
  throwing.on_ready = [](const std::string &, const Tensor &) {
    throw std::runtime_error("upload failed");
  };
  EXPECT_THROW(
      {
        try {
          load_weights(file, throwing);
        } catch (const std::runtime_error &e) {
          EXPECT_STREQ(e.what(), "upload failed");
          throw;
        }
      },
      std::runtime_error);
}

// --------------------------------------------------------- load_weights_into

TEST(ParallelLoadConcurrency, LoadIntoWritesTheSameBytesAsLoadWhateverTheThreads) {
  const char *files[] = {"npz/n01_basic_dtypes.npz",
                         "npz/n02_scalars_and_empty.npz",
                         "npz/n04_compressed.npz",
                         "npz/n05_fortran_order.npz",
                         "npz/n06_big_endian.npz",
                         "npz/n09_npy_v2_header.npz",
                         "safetensors/h01_unsorted_misaligned.safetensors",
                         "safetensors/w02_all_dtypes.safetensors",
                         "gguf/g05_quantize.gguf",
                         "gguf/g14_big_endian.gguf"};
  for (const char *file : files)
    for (const Config &c : kConfigs) {
      SCOPED_TRACE(std::string(file) + ", " + c.label());
      const Weights w = load_weights(wtest::data_path(file));
      std::vector<std::vector<uint8_t>> buffers;
      buffers.reserve(w.size());
      MutableParams dst;
      for (const auto &[name, t] : w) {
        buffers.emplace_back(t.nbytes() + 64, uint8_t{0xA5});
        // Deliberately not 64-byte aligned: only the dtype's alignment.
        uint8_t *p = buffers.back().data();
        const uint64_t align = t.block_type() ? 1 : dtype_alignment(t.dtype());
        while (reinterpret_cast<uintptr_t>(p) % std::max<uint64_t>(align, 1) != 0)
          ++p;
        dst.emplace(name, {t.dtype(), t.shape(), p, t.block_type()});
      }
      LoadOptions o;
      o.threads = c.threads;
      o.read_into_memory = c.read_into_memory;
      const auto copied = load_weights_into(wtest::data_path(file), dst, true, o);
      EXPECT_EQ(copied.size(), w.size());
      for (const auto &[name, t] : w) {
        const MutableTensorView &d = dst.at(name);
        EXPECT_EQ(wtest::sha256_hex(d.data, t.nbytes()), wtest::sha256_hex(t.data(), t.nbytes()))
            << name;
      }
    }
}

std::string load_error(const fs::path &path) {
  try {
    load_weights(path);
  } catch (const Error &e) {
    return e.what();
  }
  return {};
}

TEST(ParallelLoadConcurrency, LoadIntoACorruptFileFailsAsLoadDoes) {
  wtest::TempDir dir;
  const auto a = filled(300'000, 1.0f), b = filled(1'500'000, 2.0f);
  FlatParams p;
  p.emplace("a", TensorView(DType::F32, {300'000}, a.data()));
  p.emplace("b", TensorView(DType::F32, {1'500'000}, b.data()));
  for (int level : {0, 6}) {
    SCOPED_TRACE(level);
    SaveOptions so;
    so.compression = level;
    const fs::path path = dir / ("m" + std::to_string(level) + ".npz");
    save_weights(path, p, so);
    auto bytes = wtest::read_bytes(path);
    const LocalMember mb = local_member(bytes, 1);
    bytes[mb.data_offset + mb.size / 2] ^= 0x40; // its header is intact
    wtest::write_bytes(path, bytes);
    const std::string expected = load_error(path);
    ASSERT_NE(expected.find("member 'b.npy'"), std::string::npos) << expected;
    std::vector<float> da(a.size()), db(b.size());
    MutableParams dst;
    dst.emplace("a", {DType::F32, {300'000}, da.data()});
    dst.emplace("b", {DType::F32, {1'500'000}, db.data()});
    for (const Config &c : kConfigs) {
      SCOPED_TRACE(c.label());
      LoadOptions o;
      o.threads = c.threads;
      o.read_into_memory = c.read_into_memory;
      try {
        load_weights_into(path, dst, true, o);
        ADD_FAILURE() << "a corrupt file loaded";
      } catch (const Error &e) {
        EXPECT_EQ(e.what(), expected);
      }
    }
  }
  // A header the description already trips on: still the load's own error
  // (the CRC mismatch), not the description's.
  const fs::path bad = wtest::data_path("npz/e05_bad_crc.npz");
  MutableParams none;
  try {
    load_weights_into(bad, none, false);
    ADD_FAILURE() << "a corrupt file loaded";
  } catch (const Error &e) {
    EXPECT_EQ(e.what(), load_error(bad));
  }
}

// -------------------------------------------------------------- populate

TEST(ParallelLoadConcurrency, PopulatedMapsLoadTheSameBytes) {
  for (const char *file : {"npz/n01_basic_dtypes.npz", "safetensors/w11_big_1mib.safetensors"}) {
    LoadOptions o;
    o.populate = true;
    LoadOptions plain;
    EXPECT_EQ(outcome(wtest::data_path(file), o), outcome(wtest::data_path(file), plain)) << file;
  }
}

} // namespace
