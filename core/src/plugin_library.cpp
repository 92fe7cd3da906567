#include "plugin_library.hpp"

#include "log_internal.hpp"

#include <weightio/error.hpp>

#include <boost/dll/shared_library.hpp>

namespace weightio::detail {

namespace {

[[noreturn]] void plugin_fail(const std::filesystem::path &file, const std::string &why) {
  throw PluginError(ErrorCode::Plugin, "plugin '" + file.string() + "': " + why, file.string());
}

FormatInfo describe(const wio_format &f) {
  FormatInfo info;
  info.name = f.name;
  info.description = f.description ? f.description : "";
  for (size_t i = 0; f.extensions[i] != nullptr; ++i)
    info.extensions.emplace_back(f.extensions[i]);
  info.can_read = f.caps & WIO_CAP_READ;
  info.can_write = f.caps & WIO_CAP_WRITE;
  info.metadata = f.caps & WIO_CAP_METADATA;
  info.compression = f.caps & WIO_CAP_COMPRESSION;
  for (int d = 0; d < static_cast<int>(WIO_DTYPE_COUNT_V1); ++d)
    if (info.can_write && (f.write_dtypes & WIO_DTYPE_BIT(d)))
      info.write_dtypes.push_back(static_cast<DType>(d));
  return info;
}

} // namespace

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::filesystem::path &file) {
  std::shared_ptr<PluginLibrary> self(new PluginLibrary());
  self->info_.path = file;
  try {
    self->lib_ = std::make_unique<boost::dll::shared_library>(
        boost::dll::fs::path(file.string()),
        boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception &e) {
    plugin_fail(file, std::string("cannot be loaded: ") + e.what());
  }
  if (!self->lib_->has(WEIGHTIO_PLUGIN_ENTRY_SYMBOL))
    plugin_fail(file, "is not a weightio plugin: it does not export '" +
                          std::string(WEIGHTIO_PLUGIN_ENTRY_SYMBOL) + "'");
  auto &entry = self->lib_->get<const wio_plugin *(uint32_t)>(WEIGHTIO_PLUGIN_ENTRY_SYMBOL);
  const wio_plugin *desc = entry(WEIGHTIO_ABI_VERSION);
  if (auto why = check_descriptor(desc); !why.empty())
    plugin_fail(file, why);
  self->c_ = desc;
  self->info_.name = desc->name;
  self->info_.version = desc->version;
  self->info_.abi_version = desc->abi_version;
  for (size_t i = 0; i < desc->format_count; ++i) {
    self->formats_.push_back({desc->formats[i], describe(*desc->formats[i])});
    self->info_.formats.push_back(self->formats_.back().info);
  }
  log()->debug("loaded plugin '{}' {} from {}", self->info_.name, self->info_.version,
               file.string());
  return self;
}

PluginLibrary::~PluginLibrary() {
  if (c_ != nullptr && WIO_HAS_FIELD(c_, wio_plugin, shutdown) && c_->shutdown != nullptr)
    c_->shutdown();
}

} // namespace weightio::detail
