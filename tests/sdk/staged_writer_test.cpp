// sdk::StagedWriter, now a deprecated pass-through kept so that plugin
// sources using it still compile: the bytes come out whole and in order on
// the calling thread, progress counts only tensor data and never runs ahead
// of the writing, patches land after the bytes they cover, and a failure on
// either side reaches the caller and stops the producing.
// The class is [[deprecated]]; this test is its one deliberate user.
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
#include <weightio/staged_writer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using weightio::sdk::StagedWriter;

namespace {

// A file as the consumer sees it: writes append, patches overwrite.
struct Recorder {
  std::vector<uint8_t> bytes;
  std::vector<uint64_t> progress;
  std::vector<uint64_t> written_at; // bytes written when each progress came
  std::thread::id thread = std::this_thread::get_id();
  bool other_thread = false;
  size_t patches = 0;

  StagedWriter::Consume consume() {
    return [this](const void *data, size_t size, uint64_t p) {
      other_thread |= std::this_thread::get_id() != thread;
      const auto *b = static_cast<const uint8_t *>(data);
      if (size)
        bytes.insert(bytes.end(), b, b + size);
      progress.push_back(p);
      written_at.push_back(bytes.size());
    };
  }
  StagedWriter::Patch patch() {
    return [this](uint64_t offset, const void *data, size_t size) {
      other_thread |= std::this_thread::get_id() != thread;
      ASSERT_LE(offset + size, bytes.size()) << "a patch before its bytes were written";
      std::memcpy(bytes.data() + offset, data, size);
      ++patches;
    };
  }
};

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  return v;
}

} // namespace

TEST(StagedWriter, WritesEveryByteInOrderOnTheCallingThread) {
  const auto src = pattern(1 << 20);
  Recorder rec;
  StagedWriter w(rec.consume(), StagedWriter::kThreadMinBytes, rec.patch(), 4096, 3);
  std::vector<uint8_t> expected;
  uint64_t data_bytes = 0;
  size_t patches = 0;
  w.run([&] {
    // Pieces of many sizes: every third one a header (put: no progress);
    // every fifth followed by a 4-byte patch at its start.
    size_t at = 0, step = 1, n = 0;
    while (at < src.size()) {
      const size_t size = std::min(step, src.size() - at);
      if (n % 3 == 1) {
        w.put(src.data() + at, size);
      } else {
        w.put_data(src.data() + at, size);
        data_bytes += size;
      }
      expected.insert(expected.end(), src.begin() + at, src.begin() + at + size);
      if (n % 5 == 0 && size >= 4) {
        const uint8_t mark[4] = {0xde, 0xad, 0xbe, static_cast<uint8_t>(n)};
        w.patch(at, mark, sizeof mark);
        std::memcpy(expected.data() + at, mark, sizeof mark);
        ++patches;
      }
      at += size;
      step = step * 3 % 40000 + 1;
      ++n;
    }
  });
  EXPECT_FALSE(rec.other_thread) << "the sink was called off the calling thread";
  EXPECT_TRUE(rec.bytes == expected);
  EXPECT_EQ(rec.patches, patches);
  EXPECT_GT(patches, 10u);
  ASSERT_FALSE(rec.progress.empty());
  EXPECT_TRUE(std::is_sorted(rec.progress.begin(), rec.progress.end()));
  EXPECT_EQ(rec.progress.back(), data_bytes);
  EXPECT_LT(data_bytes, src.size());               // the headers were not counted
  for (size_t i = 0; i < rec.progress.size(); ++i) // never ahead of the bytes
    EXPECT_LE(rec.progress[i], rec.written_at[i]);
  EXPECT_THROW(w.patch(0, src.data(), StagedWriter::kMaxPatchBytes + 1), std::length_error);
}

TEST(StagedWriter, AWriteFailureStopsTheProducerAndReachesTheCaller) {
  int calls = 0;
  StagedWriter w(
      [&](const void *, size_t, uint64_t) {
        if (++calls == 3)
          throw std::runtime_error("disk full");
      },
      0);
  const auto src = pattern(4096);
  int puts = 0;
  try {
    w.run([&] {
      for (int i = 0; i < 10000; ++i) {
        w.put_data(src.data(), src.size());
        ++puts;
      }
    });
    ADD_FAILURE() << "run() returned after the consumer failed";
  } catch (const std::runtime_error &e) {
    EXPECT_STREQ(e.what(), "disk full");
  }
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(puts, 2);
}

TEST(StagedWriter, AProducerFailureReachesTheCaller) {
  size_t written = 0;
  StagedWriter w([&](const void *, size_t n, uint64_t) { written += n; }, 0);
  try {
    w.run([&] {
      w.put("head", 4);
      throw std::invalid_argument("bad tensor");
    });
    ADD_FAILURE() << "run() returned after the producer failed";
  } catch (const std::invalid_argument &e) {
    EXPECT_STREQ(e.what(), "bad tensor");
  }
  EXPECT_EQ(written, 4u);
}
