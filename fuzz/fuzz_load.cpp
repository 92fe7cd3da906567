// End to end, as a host sees it: load_weights_from_memory picks the reader
// by probing the bytes (npz or safetensors, the plugins libweightio finds
// next to itself), the reader parses, and the core checks what it emits.
// Then the same bytes go to one bundled reader by name, whatever its probe
// says (as a file with that extension would), taking the formats in turn
// with the input's size: every reader sees every input shape, not only
// those its probe accepts, for the price of a second load.
// Any weightio::Error is a fine answer; a crash, a sanitizer report, a hang
// or another exception is a finding. Every returned tensor is read in full,
// so a view outside the input would show up under AddressSanitizer.
#include <weightio/weightio.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::vector<std::string> &readable_formats() {
  static std::vector<std::string> names;
  return names;
}

void load(const uint8_t *data, size_t size, const std::string &format) {
  weightio::LoadOptions o;
  o.format = format;
  o.verify = (size & 1) != 0; // both paths: check every CRC, or only what is returned
  o.limits.max_alloc_bytes = 64 << 20;
  o.limits.max_tensors = 10000;
  try {
    const weightio::Weights w = weightio::load_weights_from_memory({data, size}, o);
    volatile uint8_t sink = 0;
    for (const auto &[name, t] : w) {
      const auto *p = static_cast<const uint8_t *>(t.data());
      for (uint64_t i = 0; i < t.nbytes(); ++i)
        sink = sink ^ p[i];
    }
  } catch (const weightio::Error &) {
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  // Warnings (over the allocation limit...) would flood the fuzzer's output.
  ::setenv("WEIGHTIO_LOG_LEVEL", "off", 0);
  // Load the plugins now, so their coverage counters are registered before
  // fuzzing starts and no input pays for discovery.
  for (const auto &plugin : weightio::loaded_plugins())
    for (const auto &format : plugin.formats)
      if (format.can_read)
        readable_formats().push_back(format.name);
  if (readable_formats().empty()) {
    std::fprintf(stderr, "fuzz_load: no readable formats found next to libweightio\n");
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  load(data, size, ""); // by probing
  const auto &formats = readable_formats();
  load(data, size, formats[(size >> 1) % formats.size()]);
  return 0;
}
