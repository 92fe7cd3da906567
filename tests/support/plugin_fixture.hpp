// Loading the suite's own test plugins (tests/plugins) into the registry.
#pragma once

#include <weightio/registry.hpp>

#include <filesystem>
#include <string>

namespace wtest {

inline std::filesystem::path test_plugin(const std::string &name) {
  return std::filesystem::path(WEIGHTIO_TEST_PLUGIN_DIR) / ("weightio_" + name + ".so");
}

// Loads tests/plugins' weightio_<name>.so; failures are recorded, not thrown.
inline void load_test_plugin(const std::string &name) {
  weightio::add_plugin_path(test_plugin(name), /*throw_on_error=*/false);
}

} // namespace wtest
