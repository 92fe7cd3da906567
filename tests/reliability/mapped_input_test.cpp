// What mapping a file means for the host, shown rather than described: a
// mapped tensor whose file another process truncates raises SIGBUS when
// touched (documented in docs/RELIABILITY.md); LoadOptions::read_into_memory
// is the way out. Both run in a child so the signal cannot hit the suite.
#include "reliability_support.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

using namespace weightio;
using wrel::in_child;

namespace {

// Runs in the child: a SIGBUS ends it with 42 instead (this replaces
// AddressSanitizer's own handler, which would report and exit 1).
void exit_42_on_sigbus() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { ::_exit(42); };
  ::sigaction(SIGBUS, &sa, nullptr);
}

int load_truncate_touch(const std::filesystem::path &path, bool read_into_memory) {
  LoadOptions o;
  o.read_into_memory = read_into_memory;
  Weights w = load_weights(path, o);
  const Tensor &t = w.at("t0");
  if (t.is_mapped() == read_into_memory)
    return 3;                           // a map was expected exactly when not reading into memory
  if (::truncate(path.c_str(), 0) != 0) // "another process" shortens the file
    return 4;
  exit_42_on_sigbus();
  volatile float sum = 0;
  for (uint64_t i = 0; i < t.numel(); ++i)
    sum = sum + t.data<float>()[i];
  return sum == static_cast<float>(t.numel()) ? 0 : 5;
}

} // namespace

TEST(MappedInput, TruncatedWhileInUseRaisesSigbusUnlessReadIntoMemory) {
  for (const auto &format : wrel::save_formats()) {
    SCOPED_TRACE(format);
    wtest::TempDir dir;
    const auto path = dir / ("m." + format);
    wrel::Payload p(1 << 16, 1, 1.0f); // 256 KiB: well past the first page
    // Find a layout whose tensor is a view (npz members are views when the
    // archive aligns them; rawt and safetensors align theirs).
    save_weights(path, p.params);
    if (!load_weights(path).at("t0").is_mapped()) {
      std::printf("%s: tensor is a copy, not a view; nothing to show\n", format.c_str());
      continue;
    }
    EXPECT_EQ(wrel::exit_code(in_child([&] { return load_truncate_touch(path, false); })), 42)
        << "touching a truncated mapping should raise SIGBUS";
    save_weights(path, p.params);
    EXPECT_EQ(wrel::exit_code(in_child([&] { return load_truncate_touch(path, true); })), 0)
        << "read_into_memory must not depend on the file afterwards";
  }
}

// A file replaced by a save (rename) while its tensors are mapped is safe:
// the old inode lives on until the last mapping goes.
TEST(MappedInput, FileReplacedBySaveKeepsOldTensorsValid) {
  for (const auto &format : wrel::save_formats()) {
    SCOPED_TRACE(format);
    wtest::TempDir dir;
    const auto path = dir / ("m." + format);
    wrel::Payload ones(1 << 14, 2, 1.0f), twos(1 << 14, 2, 2.0f);
    save_weights(path, ones.params);
    Weights before = load_weights(path);
    save_weights(path, twos.params);
    for (const auto &[name, t] : before)
      for (uint64_t i = 0; i < t.numel(); i += 97)
        ASSERT_EQ(t.data<float>()[i], 1.0f) << name;
    EXPECT_EQ(load_weights(path).at("t1").data<float>()[5], 2.0f);
  }
}
