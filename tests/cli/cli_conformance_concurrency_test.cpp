// The conformance kit's concurrency check on the bundled plugins, in the
// concurrency test binary: scripts/test.sh runs it under ThreadSanitizer
// (with halt_on_error, a race ends the kit's child and fails the check).
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace {

TEST(ConformanceConcurrency, BundledPluginsReadAndSaveFromFourThreads) {
  if (std::string(WEIGHTIO_CLI).empty())
    GTEST_SKIP() << "built without the command-line tool";
  for (const char *plugin : {"npz", "safetensors", "gguf"}) {
    const auto r = wtest::run_command(
        {WEIGHTIO_CLI, "conformance", plugin, "--only", "concurrency", "--seed", "1"});
    EXPECT_EQ(r.exit_code, 0) << plugin << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("concurrency"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("fail"), std::string::npos) << r.out;
  }
}

} // namespace
