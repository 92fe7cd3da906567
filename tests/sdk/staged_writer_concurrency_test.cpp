// sdk::StagedWriter: the bytes come out whole and in order through a ring
// much smaller than they are, on the calling thread, with the progress the
// producer marked; a failure on either side stops the other and reaches the
// caller. Run under ThreadSanitizer by scripts/test.sh (the name says
// "Concurrency"), since the threaded mode is the point.
#include <weightio/staged_writer.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <numeric>
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

struct Recorder {
  std::vector<uint8_t> bytes;
  std::vector<uint64_t> progress;
  std::vector<uint64_t> written_at; // bytes written when each progress came
  std::vector<const void *> pieces_seen;
  std::thread::id thread;
  bool other_thread = false;

  StagedWriter::Consume consume() {
    thread = std::this_thread::get_id();
    return [this](const wio_iovec *pieces, size_t count, uint64_t p) {
      other_thread |= std::this_thread::get_id() != thread;
      for (size_t i = 0; i < count; ++i) {
        EXPECT_NE(pieces[i].size, 0u);
        pieces_seen.push_back(pieces[i].data);
        const auto *b = static_cast<const uint8_t *>(pieces[i].data);
        bytes.insert(bytes.end(), b, b + pieces[i].size);
      }
      progress.push_back(p);
      written_at.push_back(bytes.size());
    };
  }
};

// The source: 1 MiB of a pattern no two offsets of a slot's size share.
std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  return v;
}

// Puts `src` in pieces of many sizes (1 byte to several slots): every third
// one as a header (put: not progress), the rest as tensor data (put_data),
// one of them large enough to be written in place. Returns what the file
// must hold; `data_bytes` is what the progress must reach.
std::vector<uint8_t> produce_mixed(StagedWriter &w, const std::vector<uint8_t> &src,
                                   const uint8_t *&external, uint64_t &data_bytes) {
  std::vector<uint8_t> expected;
  size_t at = 0, step = 1, n = 0;
  while (at < src.size()) {
    size_t size = std::min(step, src.size() - at);
    if (n == 20) { // written from where it is
      size = std::min(StagedWriter::kExternalMin + 1000, src.size() - at);
      external = src.data() + at;
    }
    if (n % 3 == 1) {
      w.put(src.data() + at, size);
    } else {
      w.put_data(src.data() + at, size);
      data_bytes += size;
    }
    expected.insert(expected.end(), src.begin() + at, src.begin() + at + size);
    at += size;
    step = step * 3 % 40000 + 1;
    ++n;
  }
  return expected;
}

void expect_written_in_order(size_t hint) {
  const auto src = pattern(1 << 20);
  Recorder rec;
  StagedWriter w(rec.consume(), hint, kSlot, kSlots);
  std::vector<uint8_t> expected;
  const uint8_t *external = nullptr;
  uint64_t data_bytes = 0;
  std::atomic<bool> produced_elsewhere{false};
  const auto caller = std::this_thread::get_id();
  w.run([&] {
    produced_elsewhere = std::this_thread::get_id() != caller;
    expected = produce_mixed(w, src, external, data_bytes);
  });
  EXPECT_EQ(produced_elsewhere.load(), hint >= kThreaded);
  EXPECT_FALSE(rec.other_thread) << "the sink was called off the calling thread";
  ASSERT_EQ(rec.bytes.size(), expected.size());
  EXPECT_TRUE(rec.bytes == expected);
  // The large block went out from the caller's memory, not from the ring.
  ASSERT_NE(external, nullptr);
  EXPECT_NE(std::find(rec.pieces_seen.begin(), rec.pieces_seen.end(), external),
            rec.pieces_seen.end());
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

// A tensor of many parts: written in place part by part, the progress
// moving with each part, so a long write reports as it goes.
TEST(StagedWriterConcurrency, LargeDataIsWrittenInPlaceInPartsWithProgress) {
  const size_t size = 2 * StagedWriter::kExternalPart + 12345;
  std::vector<uint8_t> big(size, 5);
  Recorder rec;
  StagedWriter w(rec.consume(), kThreaded, kSlot, kSlots);
  w.run([&] {
    w.put("head", 4);
    w.put_data(big.data(), big.size());
  });
  ASSERT_EQ(rec.bytes.size(), size + 4);
  EXPECT_EQ(std::memcmp(rec.bytes.data(), "head", 4), 0);
  const std::vector<uint64_t> parts{StagedWriter::kExternalPart, 2 * StagedWriter::kExternalPart,
                                    size};
  EXPECT_EQ(rec.progress, parts);
  EXPECT_EQ(std::count(rec.pieces_seen.begin(), rec.pieces_seen.end(),
                       static_cast<const void *>(big.data() + StagedWriter::kExternalPart)),
            1);
}

TEST(StagedWriterConcurrency, AWriteFailureStopsTheProducerAndReachesTheCaller) {
  for (uint64_t hint : {uint64_t{0}, kThreaded}) {
    SCOPED_TRACE(hint);
    int calls = 0;
    StagedWriter w(
        [&](const wio_iovec *, size_t, uint64_t) {
          if (++calls == 3)
            throw std::runtime_error("disk full");
        },
        hint, kSlot, kSlots);
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
    StagedWriter w(
        [&](const wio_iovec *p, size_t n, uint64_t) {
          for (size_t i = 0; i < n; ++i)
            written += p[i].size;
        },
        hint, kSlot, kSlots);
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
