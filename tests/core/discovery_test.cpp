// Plugin discovery as a fresh process sees it: the default folder beside the
// library, WEIGHTIO_PLUGIN_PATH, and never the current directory.
#include "plugin_fixture.hpp"
#include "test_support.hpp"

#include <weightio/weightio.hpp>

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

namespace fs = std::filesystem;

TEST(Discovery, EnvPathLoadsAbsoluteEntriesAndIgnoresRelativeAndEmptyOnes) {
  wtest::TempDir tmp;
  fs::create_directories(tmp / "rel");
  fs::copy_file(wtest::test_plugin("dup_a"), tmp / "rel" / "weightio_dup_a.so");
  fs::copy_file(wtest::test_plugin("dup_b"), tmp / "weightio_dup_b.so"); // in the cwd
  const std::string env = "WEIGHTIO_PLUGIN_PATH=rel::" + wtest::test_plugin("rawt").string();
  auto r = wtest::run_command({WEIGHTIO_REGISTRY_PROBE}, {env, "WEIGHTIO_LOG_LEVEL=warn"}, {},
                              tmp.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("loaded rawt "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("dup_a"), std::string::npos) << r.out; // relative entry ignored
  EXPECT_EQ(r.out.find("dup_b"), std::string::npos) << r.out; // cwd never searched
  EXPECT_NE(r.err.find("'rel' is relative"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("empty entry"), std::string::npos) << r.err;
}

TEST(Discovery, EnvPathFolderLoadsEveryPluginInIt) {
  wtest::TempDir tmp;
  fs::copy_file(wtest::test_plugin("rawt"), tmp / "weightio_rawt.so");
  fs::copy_file(wtest::test_plugin("future_abi"), tmp / "weightio_future_abi.so");
  auto r = wtest::run_command({WEIGHTIO_REGISTRY_PROBE},
                              {"WEIGHTIO_PLUGIN_PATH=" + tmp.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("loaded rawt " + (tmp / "weightio_rawt.so").string()), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("failed " + (tmp / "weightio_future_abi.so").string()), std::string::npos)
      << r.out;
}

TEST(Discovery, QuietByDefault) {
  auto r = wtest::run_command(
      {WEIGHTIO_REGISTRY_PROBE},
      {"WEIGHTIO_PLUGIN_PATH=" + wtest::test_plugin("rawt").string(), "WEIGHTIO_LOG_LEVEL="});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(Logging, HostCanReplaceTheLogger) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto mine = std::make_shared<spdlog::logger>("host", sink);
  mine->set_level(spdlog::level::info);
  weightio::set_logger(mine);
  weightio::add_plugin_path("/nonexistent/weightio_nothing.so");
  weightio::set_logger(nullptr);
  EXPECT_NE(captured.str().find("/nonexistent/weightio_nothing.so"), std::string::npos)
      << captured.str();
  // The host's default logger was not touched.
  EXPECT_NE(spdlog::default_logger()->name(), "weightio");
}
