// sdk::StagedWriter: the bytes come out whole and in order through a ring
// much smaller than they are, on the calling thread, with progress that
// counts only tensor data and never runs ahead of the writing; patches land
// after the bytes they cover; a failure on either side stops the other and
// reaches the caller. Run under ThreadSanitizer by scripts/test.sh (the name
// says "Concurrency"), since the threaded mode is the point.
#include <weightio/staged_writer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using weightio::sdk::StagedWriter;

namespace {

// Small slots and few of them, so that the producer laps the ring many times
// and waits for the writer; the hint makes the writer threaded.
constexpr size_t kSlot = 4096;
constexpr size_t kSlots = 3;
constexpr uint64_t kThreaded = StagedWriter::kThreadMinBytes;

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

// Puts `src` in pieces of many sizes (1 byte to several slots): every third
// one as a header (put: not progress), the rest as tensor data (put_data);
// every fifth piece is followed by a patch of 4 bytes at its start. Returns
// what the file must hold; `data_bytes` is what the progress must reach.
std::vector<uint8_t> produce_mixed(StagedWriter &w, const std::vector<uint8_t> &src,
                                   uint64_t &data_bytes, size_t &patches) {
  std::vector<uint8_t> expected;
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
  return expected;
}

void expect_written_in_order(size_t hint) {
  const auto src = pattern(1 << 20);
  Recorder rec;
  StagedWriter w(rec.consume(), hint, rec.patch(), kSlot, kSlots);
  std::vector<uint8_t> expected;
  uint64_t data_bytes = 0;
  size_t patches = 0;
  std::atomic<bool> produced_elsewhere{false};
  const auto caller = std::this_thread::get_id();
  w.run([&] {
    produced_elsewhere = std::this_thread::get_id() != caller;
    expected = produce_mixed(w, src, data_bytes, patches);
  });
  EXPECT_EQ(produced_elsewhere.load(), hint >= kThreaded);
  EXPECT_FALSE(rec.other_thread) << "the sink was called off the calling thread";
  ASSERT_EQ(rec.bytes.size(), expected.size());
  EXPECT_TRUE(rec.bytes == expected);
  EXPECT_EQ(rec.patches, patches);
  EXPECT_GT(patches, 10u);
  ASSERT_FALSE(rec.progress.empty());
  EXPECT_TRUE(std::is_sorted(rec.progress.begin(), rec.progress.end()));
  EXPECT_EQ(rec.progress.back(), data_bytes);
  EXPECT_LT(data_bytes, src.size());                      // the headers were not counted
  EXPECT_GT(rec.progress.size(), src.size() / kSlot / 2); // a slot at a time
  for (size_t i = 0; i < rec.progress.size(); ++i)        // never ahead of the bytes
    EXPECT_LE(rec.progress[i], rec.written_at[i]);
}

} // namespace

TEST(StagedWriterConcurrency, ThreadedWritesEveryByteInOrderOnTheCallingThread) {
  expect_written_in_order(kThreaded);
}

TEST(StagedWriterConcurrency, SmallOutputsAreMadeOnTheCallingThread) {
  expect_written_in_order(1000);
}

TEST(StagedWriterConcurrency, LargeDataComesInSlotSizedWritesWithProgress) {
  const size_t size = 40 * kSlot + 123;
  const auto big = pattern(size);
  Recorder rec;
  StagedWriter w(rec.consume(), kThreaded, {}, kSlot, kSlots);
  w.run([&] {
    w.put("head", 4);
    w.put_data(big.data(), big.size());
  });
  ASSERT_EQ(rec.bytes.size(), size + 4);
  EXPECT_EQ(std::memcmp(rec.bytes.data(), "head", 4), 0);
  EXPECT_EQ(std::memcmp(rec.bytes.data() + 4, big.data(), size), 0);
  EXPECT_GE(rec.progress.size(), 40u);
  for (size_t i = 0; i + 1 < rec.written_at.size(); ++i) // full slots but the last
    EXPECT_EQ(rec.written_at[i], (i + 1) * kSlot);
  EXPECT_EQ(rec.progress.back(), size);
}

TEST(StagedWriterConcurrency, AWriteFailureStopsTheProducerAndReachesTheCaller) {
  for (uint64_t hint : {uint64_t{0}, kThreaded}) {
    SCOPED_TRACE(hint);
    int calls = 0;
    StagedWriter w(
        [&](const void *, size_t, uint64_t) {
          if (++calls == 3)
            throw std::runtime_error("disk full");
        },
        hint, {}, kSlot, kSlots);
    const auto src = pattern(kSlot);
    uint64_t put_bytes = 0;
    try {
      w.run([&] {
        for (int i = 0; i < 10000; ++i) { // 40 MiB if nothing stopped it
          w.put_data(src.data(), src.size());
          put_bytes += src.size();
        }
      });
      ADD_FAILURE() << "run() returned after the consumer failed";
    } catch (const std::runtime_error &e) {
      EXPECT_STREQ(e.what(), "disk full");
    }
    EXPECT_EQ(calls, 3);
    // The producer got at most a ring's worth ahead of the failed write.
    EXPECT_LE(put_bytes, (3 + kSlots + 1) * kSlot);
  }
}

TEST(StagedWriterConcurrency, AProducerFailureReachesTheCallerAndStopsTheWriting) {
  for (uint64_t hint : {uint64_t{0}, kThreaded}) {
    SCOPED_TRACE(hint);
    size_t written = 0;
    StagedWriter w([&](const void *, size_t n, uint64_t) { written += n; }, hint, {}, kSlot,
                   kSlots);
    const auto src = pattern(kSlot);
    try {
      w.run([&] {
        for (int i = 0; i < 5; ++i)
          w.put(src.data(), src.size());
        w.put(src.data(), 100); // not a whole slot: must never be written
        throw std::invalid_argument("bad tensor");
      });
      ADD_FAILURE() << "run() returned after the producer failed";
    } catch (const std::invalid_argument &e) {
      EXPECT_STREQ(e.what(), "bad tensor");
    }
    EXPECT_LE(written, 5 * kSlot);
    EXPECT_EQ(written % kSlot, 0u);
  }
}
