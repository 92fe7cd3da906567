// The ZIP library's directory reader through byte windows (zip::ByteSource):
// a source that hands out windows of its own gives the same members as the
// whole archive in memory, reads the directory from the tail without
// touching member data, and meets a bad archive with the same refusal.
#include "zip/zip_reader.hpp"

#include <weightio/plugin_sdk.hpp>
#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

using namespace weightio;

namespace {

// Copies every window it is asked for, as a source fetching ranges would,
// and records what was read.
class CopyingSource final : public zip::ByteSource {
public:
  explicit CopyingSource(const std::vector<uint8_t> &bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  std::span<const uint8_t> read(uint64_t offset, uint64_t size) override {
    EXPECT_LE(offset + size, bytes_.size());
    windows_.emplace_back(bytes_.begin() + static_cast<ptrdiff_t>(offset),
                          bytes_.begin() + static_cast<ptrdiff_t>(offset + size));
    bytes_read += size;
    ++reads;
    return windows_.back();
  }
  uint64_t bytes_read = 0;
  uint64_t reads = 0;

private:
  const std::vector<uint8_t> &bytes_;
  std::deque<std::vector<uint8_t>> windows_;
};

std::vector<uint8_t> archive(size_t members, size_t floats_each, int compression = 0) {
  std::vector<std::vector<float>> data(members, std::vector<float>(floats_each, 1.5f));
  FlatParams p;
  for (size_t i = 0; i < members; ++i)
    p.emplace("t" + std::to_string(i),
              TensorView(DType::F32, {static_cast<int64_t>(floats_each)}, data[i].data()));
  SaveOptions o;
  o.format = "npz";
  o.compression = compression;
  return save_weights_to_memory(p, o);
}

void expect_same(const std::vector<zip::ZipEntry> &a, const std::vector<zip::ZipEntry> &b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(a[i].method, b[i].method);
    EXPECT_EQ(a[i].crc, b[i].crc);
    EXPECT_EQ(a[i].compressed_size, b[i].compressed_size);
    EXPECT_EQ(a[i].uncompressed_size, b[i].uncompressed_size);
    EXPECT_EQ(a[i].local_offset, b[i].local_offset);
    EXPECT_EQ(a[i].data_offset, b[i].data_offset);
  }
}

TEST(ZipSource, WindowsGiveTheSameMembersAsTheWholeArchive) {
  for (int level : {0, 6}) {
    const auto bytes = archive(5, 1000, level);
    const auto whole = zip::read_zip_directory(std::span<const uint8_t>(bytes), {});
    CopyingSource windows(bytes);
    expect_same(zip::read_zip_directory(windows, {}), whole);
    ASSERT_EQ(whole.size(), 5u);
    EXPECT_EQ(whole[0].name, "t0.npy");
    if (level == 0) {
      EXPECT_EQ(whole[4].data_offset % 64, 0u); // stored data is 64-byte aligned
    }
  }
}

TEST(ZipSource, TheDirectoryIsReadFromTheTailWithoutMemberData) {
  // Four members of 4 MB each: listing them reads the tail, the directory
  // and each local header, a few kilobytes in a few windows a member.
  const auto bytes = archive(4, 1 << 20);
  CopyingSource windows(bytes);
  const auto entries = zip::read_zip_directory(windows, {});
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_LT(windows.bytes_read, 70u * 1024) << "of " << bytes.size();
  EXPECT_LE(windows.reads, 4u + 4 * entries.size());
}

TEST(ZipSource, ABadArchiveIsRefusedAlikeThroughWindows) {
  auto bytes = archive(2, 10);
  bytes.resize(bytes.size() - 1); // cut into the end record
  std::string whole, windowed;
  try {
    zip::read_zip_directory(std::span<const uint8_t>(bytes), {});
  } catch (const sdk::Failure &e) {
    whole = e.what();
  }
  CopyingSource windows(bytes);
  try {
    zip::read_zip_directory(windows, {});
  } catch (const sdk::Failure &e) {
    windowed = e.what();
  }
  EXPECT_NE(whole.find("not a valid zip archive"), std::string::npos) << whole;
  EXPECT_EQ(windowed, whole);
}

TEST(ZipSource, TheDirectoryLimitHoldsBeforeTheDirectoryIsRead) {
  const auto bytes = archive(50, 1);
  CopyingSource windows(bytes);
  zip::ZipLimits limits;
  limits.max_directory_bytes = 100;
  try {
    zip::read_zip_directory(windows, limits);
    ADD_FAILURE() << "read a directory over the limit";
  } catch (const sdk::Failure &e) {
    EXPECT_NE(std::string(e.what()).find(" is over the limit 100 (max_header_bytes)"),
              std::string::npos)
        << e.what();
    EXPECT_EQ(e.status(), WIO_ERR_LIMIT);
  }
  // The tail, the end record and the ZIP64 locator's place: no directory.
  EXPECT_LE(windows.reads, 3u);
}

} // namespace

TEST(ZipSource, ACentralReadTouchesNoLocalHeaderAndLocatesMembersOnRequest) {
  const auto bytes = archive(4, 1 << 20);
  const auto full = zip::read_zip_directory(std::span<const uint8_t>(bytes), {});
  CopyingSource windows(bytes);
  auto central = zip::read_zip_directory(windows, {}, zip::DirectoryDepth::central);
  ASSERT_EQ(central.size(), 4u);
  // The tail and the directory only: no window at a member's local header.
  EXPECT_LE(windows.reads, 4u);
  for (size_t i = 0; i < central.size(); ++i) {
    EXPECT_EQ(central[i].name, full[i].name);
    EXPECT_EQ(central[i].local_offset, full[i].local_offset);
    EXPECT_EQ(central[i].data_offset, 0u);
    zip::locate_member_data(std::span<const uint8_t>(bytes), central[i]);
    EXPECT_EQ(central[i].data_offset, full[i].data_offset);
  }
  // A broken local header: the central read lists the members, locating
  // that one refuses it by name, as the full read refuses the archive.
  auto broken = bytes;
  broken[full[2].local_offset] ^= 0xff;
  auto listed =
      zip::read_zip_directory(std::span<const uint8_t>(broken), {}, zip::DirectoryDepth::central);
  EXPECT_THROW(zip::read_zip_directory(std::span<const uint8_t>(broken), {}), sdk::Failure);
  try {
    zip::locate_member_data(std::span<const uint8_t>(broken), listed[2]);
    ADD_FAILURE() << "a broken local header was located";
  } catch (const sdk::Failure &e) {
    EXPECT_NE(std::string(e.what()).find("t2.npy"), std::string::npos) << e.what();
  }
}
