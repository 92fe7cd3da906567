// End records that disagree with the central directory,
// classic and ZIP64, from npz_make_eocd_disagreements.py, which also records
// what numpy.load (Python's zipfile) makes of each file. The policy, in
// plugins/npz/README.md: the members are what the directory holds, whatever
// the count says (as zipfile); a directory whose size or offset does not end
// where the end record begins is refused, naming both; so is a local header
// that no directory entry lists. numpy drops a member silently in the last
// case; weightio never does.
#include "npz_test_util.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <map>

using namespace weightio;
using namespace npztest;

namespace {

struct Case {
  std::string file;   // without the classic_ / zip64_ prefix
  std::string reason; // empty: loads a and b, as numpy does
  bool numpy_loads_both = false;
};

const std::vector<Case> kCases = {
    {"agree", "", true},
    // zipfile never reads the count: numpy finds both members, and so do we.
    {"count_0_of_2", "", true},
    {"count_1_of_2", "", true},
    {"count_3_of_2", "", true},
    // zipfile places the directory at (end record - size) and takes any
    // difference from the offset as bytes prepended to the archive: here it
    // fails (bad magic number, negative seek). We name the disagreement.
    {"size_short", "and the central directory disagree", false},
    {"size_long", "and the central directory disagree", false},
    {"offset_low", "and the central directory disagree", false},
    {"offset_high", "and the central directory disagree", false},
    // Size and offset moved past a's entry: numpy loads b alone, silently.
    {"skip_first_entry", "local header at offset 0 is not in the central directory", false},
    {"skip_first_entry_count_1", "local header at offset 0 is not in the central directory", false},
};

TEST(NpzDirectoryDisagreement, EachCaseAsDocumentedAndComparedWithNumpy) {
  wtest::TempDir dir;
  const auto made = wtest::run_python(wtest::python_script("npz_make_eocd_disagreements.py"),
                                      {dir.path().string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::map<std::string, std::vector<std::string>> numpy;
  for (const auto &row : read_tsv(dir / "numpy.tsv"))
    numpy[row.at(0)] = row;
  ASSERT_EQ(numpy.size(), 2 * kCases.size() + 1);

  for (const std::string prefix : {"classic_", "zip64_"}) {
    for (const Case &c : kCases) {
      const std::string file = prefix + c.file + ".npz";
      SCOPED_TRACE(file);
      ASSERT_TRUE(numpy.count(file));
      const auto &np = numpy.at(file);
      if (c.numpy_loads_both) {
        EXPECT_EQ(np.at(1) + "\t" + np.at(2), "ok\ta=[0.0, 1.0, 2.0];b=[7, 8]");
      } else if (c.file.starts_with("skip_first_entry")) {
        EXPECT_EQ(np.at(1) + "\t" + np.at(2), "ok\tb=[7, 8]"); // numpy dropped a
      } else {
        EXPECT_EQ(np.at(1), "error") << np.at(2);
      }

      if (c.reason.empty()) {
        const Weights w = load_weights(dir / file);
        ASSERT_EQ(w.size(), 2u);
        const float a[] = {0, 1, 2};
        const int64_t b[] = {7, 8};
        EXPECT_EQ(w.at("a").dtype(), DType::F32);
        EXPECT_EQ(w.at("b").dtype(), DType::I64);
        ASSERT_EQ(w.at("a").nbytes(), sizeof a);
        ASSERT_EQ(w.at("b").nbytes(), sizeof b);
        EXPECT_EQ(std::memcmp(w.at("a").data(), a, sizeof a), 0);
        EXPECT_EQ(std::memcmp(w.at("b").data(), b, sizeof b), 0);
        LoadOptions verify;
        verify.verify = true;
        EXPECT_EQ(load_weights(dir / file, verify).size(), 2u);
      } else {
        // The record named is the one whose values were used.
        const std::string record =
            prefix == std::string("zip64_") ? "the ZIP64 end record" : "the end record";
        expect_refused(dir / file, {}, "", c.reason);
        if (c.reason.find("disagree") != std::string::npos)
          expect_refused(dir / file, {}, "", record + " and the central directory disagree");
      }
    }
  }
  // A classic count of 0xFFFF with no ZIP64 record (writers that wrap the
  // count): the directory still says two members, and numpy agrees.
  EXPECT_EQ(load_weights(dir / "classic_count_65535_of_2.npz").size(), 2u);
  EXPECT_EQ(numpy.at("classic_count_65535_of_2.npz").at(1), "ok");
}

TEST(NpzDirectoryDisagreement, MessagesGiveTheNumbers) {
  wtest::TempDir dir;
  const auto made = wtest::run_python(wtest::python_script("npz_make_eocd_disagreements.py"),
                                      {dir.path().string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  // Where numpy.savez put the directory and the end record.
  const auto layout = read_tsv(dir / "layout.tsv").at(0);
  const uint64_t size = std::stoull(layout.at(0)), offset = std::stoull(layout.at(1)),
                 end = std::stoull(layout.at(2));
  ASSERT_EQ(offset + size, end);
  auto n = [](uint64_t v) { return std::to_string(v); };
  expect_refused(dir / "classic_size_short.npz", {}, "",
                 "the end record and the central directory disagree: it gives the directory as " +
                     n(size - 1) + " bytes at offset " + n(offset) + ", ending at offset " +
                     n(end - 1) + ", but the directory must end where the end record begins, " +
                     "at offset " + n(end));
  // In the ZIP64 file the directory ends where the ZIP64 end record begins,
  // at the same offset the classic one had.
  expect_refused(dir / "zip64_offset_high.npz", {}, "",
                 "the ZIP64 end record and the central directory disagree: it gives the "
                 "directory as " +
                     n(size) + " bytes at offset " + n(offset + 1) + ", ending at offset " +
                     n(end + 1));
  expect_refused(dir / "classic_skip_first_entry_count_1.npz", {}, "", "which lists 1 member (");
}

} // namespace
