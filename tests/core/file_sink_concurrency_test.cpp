// The host's file sink (core/src/io/file_sink.hpp): whatever a plugin writes,
// in pieces of any size with patches anywhere behind it, reaches the file
// whole and in order, through writes at multiples of the slot size, each a
// whole slot but the last, made on a thread of the sink's own once the
// output outgrows one slot; a failed write stops the plugin and reaches the
// caller; a sink dropped mid-save stops without hanging. Run under
// ThreadSanitizer by scripts/test.sh (the name says "Concurrency").
#include "io/file_sink.hpp"

#include "test_support.hpp"

#include <weightio/error.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

using weightio::detail::FileSink;

namespace {

constexpr size_t kSlot = FileSink::kSlotBytes;

// What the sink asked the kernel to do, in order. Plain function pointers
// are what FileSink takes, hence the globals (one test at a time).
struct Call {
  uint64_t offset;
  size_t size;
  std::thread::id thread;
};
std::mutex g_mutex;
std::vector<Call> g_calls;
int g_fail_call = -1; // this call (0-based) fails with g_fail_errno
int g_fail_errno = 0;
bool g_awkward = false; // EINTR every 3rd call, short writes every 5th

ssize_t recording_pwrite(int fd, const void *data, size_t size, off_t offset) {
  size_t n = size;
  {
    std::lock_guard lock(g_mutex);
    const int index = static_cast<int>(g_calls.size());
    g_calls.push_back({static_cast<uint64_t>(offset), size, std::this_thread::get_id()});
    if (index == g_fail_call) {
      errno = g_fail_errno;
      return -1;
    }
    if (g_awkward && index % 3 == 1) {
      errno = EINTR;
      return -1;
    }
    if (g_awkward && index % 5 == 2 && size > 1)
      n = size / 2;
  }
  return ::pwrite(fd, data, n, offset);
}

void reset_recording() {
  std::lock_guard lock(g_mutex);
  g_calls.clear();
  g_fail_call = -1;
  g_fail_errno = 0;
  g_awkward = false;
}

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  return v;
}

struct OpenFile {
  wtest::TempDir dir;
  std::filesystem::path path = dir / "out.bin";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ~OpenFile() { ::close(fd); }
};

// Writes `src` in pieces of many sizes (1 byte to over a slot), some as
// writev of several pieces, with a 4-byte patch after every seventh piece:
// at the start of that piece (often in the slot being filled) or 3 MiB
// back (in a slot already handed to the writer, or across two slots).
// Returns what the file must hold.
std::vector<uint8_t> write_mixed(FileSink &sink, const std::vector<uint8_t> &src) {
  std::vector<uint8_t> expected;
  size_t at = 0, step = 1, n = 0;
  while (at < src.size()) {
    const size_t size = std::min(step, src.size() - at);
    if (n % 4 == 3 && size >= 2) {
      const wio_iovec iov[] = {
          {src.data() + at, size / 2}, {nullptr, 0}, {src.data() + at + size / 2, size - size / 2}};
      sink.writev(iov, 3);
    } else {
      const wio_iovec one{src.data() + at, size};
      sink.writev(&one, 1);
    }
    expected.insert(expected.end(), src.begin() + at, src.begin() + at + size);
    if (n % 7 == 0 && size >= 4) {
      const uint8_t mark[4] = {0xde, 0xad, 0xbe, static_cast<uint8_t>(n)};
      const uint64_t back = uint64_t{3} << 20;
      const uint64_t where = n % 2 == 0 && at + size >= back + 4 ? at + size - back : at;
      sink.pwrite(where, mark, sizeof mark);
      std::memcpy(expected.data() + where, mark, sizeof mark);
    }
    at += size;
    step = step * 7 % (3 * kSlot) + 1;
    ++n;
  }
  EXPECT_EQ(sink.position(), src.size());
  return expected;
}

// The writes of whole slots (at the running end of the file) come at
// multiples of the slot size, each a whole slot but the last; every other
// write is a patch of bytes already written.
void expect_slot_writes(const std::vector<Call> &calls, uint64_t total) {
  uint64_t end = 0;
  size_t slot_writes = 0;
  for (const Call &c : calls) {
    if (c.offset == end && c.size > 0 && end < total) {
      EXPECT_EQ(c.offset % kSlot, 0u) << "a write at " << c.offset;
      if (end + c.size < total) {
        EXPECT_EQ(c.size, kSlot) << "a short write at " << c.offset;
      }
      end += c.size;
      ++slot_writes;
    } else {
      EXPECT_LE(c.offset + c.size, end) << "a patch before its bytes were written";
    }
  }
  EXPECT_EQ(end, total);
  EXPECT_EQ(slot_writes, (total + kSlot - 1) / kSlot);
}

} // namespace

TEST(FileSinkConcurrency, LargeOutputsComeWholeInSlotWritesOnAWriterThread) {
  reset_recording();
  OpenFile f;
  const auto src = pattern(9 * kSlot + 12345); // laps the 4-slot ring twice
  std::vector<uint8_t> expected;
  {
    FileSink sink(f.fd, f.path, /*write_behind=*/true, &recording_pwrite);
    sink.expect(src.size() + 4096);
    expected = write_mixed(sink, src);
    sink.flush();
  }
  EXPECT_TRUE(wtest::read_bytes(f.path) == expected);
  std::lock_guard lock(g_mutex);
  expect_slot_writes(g_calls, src.size());
  for (const Call &c : g_calls)
    EXPECT_NE(c.thread, std::this_thread::get_id()) << "a write on the plugin's thread";
}

TEST(FileSinkConcurrency, SmallOutputsAreWrittenByFlushWithNoThread) {
  reset_recording();
  OpenFile f;
  const auto src = pattern(kSlot - 1);
  std::vector<uint8_t> expected;
  {
    FileSink sink(f.fd, f.path, false, &recording_pwrite);
    expected = write_mixed(sink, src);
    std::lock_guard lock(g_mutex);
    EXPECT_TRUE(g_calls.empty()) << "written before flush()";
  }
  // Dropped without flush(): nothing was written.
  EXPECT_EQ(std::filesystem::file_size(f.path), 0u);
  reset_recording();
  {
    FileSink sink(f.fd, f.path, false, &recording_pwrite);
    expected = write_mixed(sink, src);
    sink.flush();
  }
  EXPECT_TRUE(wtest::read_bytes(f.path) == expected);
  std::lock_guard lock(g_mutex);
  expect_slot_writes(g_calls, src.size());
  for (const Call &c : g_calls)
    EXPECT_EQ(c.thread, std::this_thread::get_id());
}

TEST(FileSinkConcurrency, InterruptedAndShortWritesAreResumed) {
  reset_recording();
  g_awkward = true;
  OpenFile f;
  const auto src = pattern(5 * kSlot + 7);
  std::vector<uint8_t> expected;
  {
    FileSink sink(f.fd, f.path, false, &recording_pwrite);
    expected = write_mixed(sink, src);
    sink.flush();
  }
  EXPECT_TRUE(wtest::read_bytes(f.path) == expected);
}

TEST(FileSinkConcurrency, AFailedWriteStopsThePluginAndReachesTheCaller) {
  for (const int fail_at : {0, 2}) {
    SCOPED_TRACE(fail_at);
    reset_recording();
    g_fail_call = fail_at;
    g_fail_errno = ENOSPC;
    OpenFile f;
    FileSink sink(f.fd, f.path, false, &recording_pwrite);
    const auto piece = pattern(64 << 10);
    uint64_t accepted = 0;
    try {
      for (int i = 0; i < 4000; ++i) { // 250 MiB if nothing stopped it
        const wio_iovec one{piece.data(), piece.size()};
        sink.writev(&one, 1);
        accepted += piece.size();
      }
      sink.flush();
      ADD_FAILURE() << "the failed write was not reported";
    } catch (const weightio::IoError &e) {
      EXPECT_NE(std::string(e.what()).find("disk is full"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(f.path.string()), std::string::npos) << e.what();
    }
    // The plugin got at most the ring's worth past the failed write.
    EXPECT_LE(accepted, (fail_at + 1 + FileSink::kSlots + 1) * kSlot);
    std::lock_guard lock(g_mutex);
    EXPECT_EQ(g_calls.size(), static_cast<size_t>(fail_at + 1)) << "wrote on after a failure";
  }
}

TEST(FileSinkConcurrency, ASinkDroppedMidSaveStopsItsWriter) {
  reset_recording();
  OpenFile f;
  {
    FileSink sink(f.fd, f.path, false, &recording_pwrite);
    const auto src = pattern(7 * kSlot + 5);
    const wio_iovec one{src.data(), src.size()};
    sink.writev(&one, 1);
  } // no flush(): the plugin failed
  std::lock_guard lock(g_mutex);
  const size_t calls = g_calls.size();
  EXPECT_LE(calls, 7u); // never the unfinished last slot
  for (const Call &c : g_calls)
    EXPECT_EQ(c.size, kSlot);
}

TEST(FileSinkConcurrency, PatchingBytesNotYetWrittenIsAnInternalError) {
  reset_recording();
  OpenFile f;
  FileSink sink(f.fd, f.path, false, &recording_pwrite);
  const uint8_t bytes[8] = {};
  const wio_iovec one{bytes, sizeof bytes};
  sink.writev(&one, 1);
  try {
    sink.pwrite(6, bytes, 4);
    ADD_FAILURE() << "a patch past the end was accepted";
  } catch (const weightio::Error &e) {
    EXPECT_EQ(e.code(), weightio::ErrorCode::Internal);
  }
}
