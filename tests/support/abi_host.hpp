// Pieces a test needs to drive a plugin through its C ABI alone, as any host
// would: open the shared object and describe tensors as wio_tensor_in.
#pragma once

#include <weightio/plugin_abi.h>

#include <dlfcn.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace wtest {

// A plugin opened directly with dlopen (a second handle beside the
// registry's, if it loaded it too). Throws std::runtime_error when the file
// can't be loaded or has no entry symbol.
class AbiPlugin {
public:
  explicit AbiPlugin(const std::filesystem::path &file) {
    lib_ = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib_ == nullptr)
      throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto entry = reinterpret_cast<wio_plugin_entry_fn>(dlsym(lib_, WEIGHTIO_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr)
      throw std::runtime_error("no entry symbol in " + file.string());
    plugin_ = entry(WEIGHTIO_ABI_VERSION);
    if (plugin_ == nullptr || plugin_->format_count == 0)
      throw std::runtime_error("unexpected descriptor in " + file.string());
  }
  ~AbiPlugin() { dlclose(lib_); }
  AbiPlugin(const AbiPlugin &) = delete;
  AbiPlugin &operator=(const AbiPlugin &) = delete;
  const wio_plugin &plugin() const { return *plugin_; }
  const wio_format &format(size_t i = 0) const { return *plugin_->formats[i]; }

private:
  void *lib_ = nullptr;
  const wio_plugin *plugin_ = nullptr;
};

// A tensor owning its bytes, for building write requests.
struct AbiTensor {
  std::string name;
  int32_t dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

// Views of `in` as the ABI's wio_tensor_in (valid while `in` lives).
inline std::vector<wio_tensor_in> to_abi(const std::vector<AbiTensor> &in) {
  std::vector<wio_tensor_in> out;
  out.reserve(in.size());
  for (const auto &t : in) {
    wio_tensor_in x{};
    x.struct_size = sizeof x;
    x.dtype = t.dtype;
    x.name = {t.name.data(), t.name.size()};
    x.ndim = static_cast<uint32_t>(t.shape.size());
    x.shape = t.shape.data();
    x.data = t.bytes.data();
    x.nbytes = t.bytes.size();
    out.push_back(x);
  }
  return out;
}

} // namespace wtest
