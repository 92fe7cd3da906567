#include "registry/plugin_library.hpp"

#include "model/block_types.hpp"
#include "registry/format_options.hpp"

#include "support/log_internal.hpp"

#include <boost/dll/shared_library.hpp>

namespace weightio::detail {

namespace {

[[noreturn]] void plugin_fail(const std::filesystem::path &file, const std::string &why) {
  throw PluginLoadError(file, why);
}

// The fields added in ABI 2, where struct_size holds them.
void describe_v2(const wio_format &f, FormatInfo &info, const std::string &who) {
  if (info.metadata)
    info.metadata_types = {ValueType::String};
  if (WIO_HAS_FIELD(&f, wio_format, metadata_types) && info.metadata && f.metadata_types != 0) {
    info.metadata_types.clear();
    for (int t = 0; t < static_cast<int>(WIO_VALUE_COUNT); ++t)
      if (f.metadata_types & WIO_VALUE_BIT(t))
        info.metadata_types.push_back(static_cast<ValueType>(t));
  }
  if (WIO_HAS_FIELD(&f, wio_format, probe_bytes) && f.probe_bytes != 0)
    info.probe_bytes = f.probe_bytes;
  if (WIO_HAS_FIELD(&f, wio_format, block_type_count))
    for (size_t i = 0; i < f.block_type_count; ++i)
      info.block_types.push_back(declare_block_type(*f.block_types[i], who));
  if (WIO_HAS_FIELD(&f, wio_format, option_count))
    for (size_t i = 0; i < f.option_count; ++i)
      info.options.push_back(option_from_decl(*f.options[i]));
  if (WIO_HAS_FIELD(&f, wio_format, write_limits) && f.write_limits != nullptr) {
    const wio_write_limits &l = *f.write_limits;
    info.limits.min_ndim = l.min_ndim;
    info.limits.max_ndim = l.max_ndim;
    info.limits.zero_dims = !(l.flags & WIO_LIMIT_NO_ZERO_DIMS);
    info.limits.zero_outer_dims =
        !(l.flags & (WIO_LIMIT_NO_ZERO_DIMS | WIO_LIMIT_NO_ZERO_OUTER_DIMS));
    info.limits.max_name_bytes = l.max_name_bytes;
    info.limits.max_tensors = l.max_tensors;
    info.limits.max_metadata_value_bytes = l.max_metadata_value_bytes;
  }
  info.decodes = WIO_HAS_FIELD(&f, wio_format, decode) && f.decode != nullptr;
}

// The fields added in ABI 3, where struct_size holds them.
void describe_v3(const wio_format &f, FormatInfo &info) {
  if (WIO_HAS_FIELD(&f, wio_format, max_array_depth))
    info.max_array_depth = f.max_array_depth;
  if (WIO_HAS_FIELD(&f, wio_format, dequantize_dtypes))
    for (int d = 0; d < static_cast<int>(WIO_DTYPE_COUNT_V1); ++d)
      if (f.dequantize_dtypes & WIO_DTYPE_BIT(d))
        info.dequantize_dtypes.push_back(static_cast<DType>(d));
  if (WIO_HAS_FIELD(&f, wio_format, shared_extensions) && f.shared_extensions != nullptr)
    for (size_t i = 0; f.shared_extensions[i] != nullptr; ++i)
      info.shared_extensions.emplace_back(f.shared_extensions[i]);
  if (WIO_HAS_FIELD(&f, wio_format, folder_names) && f.folder_names != nullptr)
    for (size_t i = 0; f.folder_names[i] != nullptr; ++i)
      info.folder_names.emplace_back(f.folder_names[i]);
}

FormatInfo describe(const wio_format &f, const std::string &who) {
  FormatInfo info;
  info.name = f.name;
  info.description = f.description ? f.description : "";
  for (size_t i = 0; f.extensions[i] != nullptr; ++i)
    info.extensions.emplace_back(f.extensions[i]);
  info.can_read = f.caps & WIO_CAP_READ;
  info.can_write = f.caps & WIO_CAP_WRITE;
  info.metadata = f.caps & WIO_CAP_METADATA;
  info.compression = f.caps & WIO_CAP_COMPRESSION;
  info.split_keys = f.caps & WIO_CAP_SPLIT_KEYS;
  for (int d = 0; d < static_cast<int>(WIO_DTYPE_COUNT_V1); ++d)
    if (info.can_write && (f.write_dtypes & WIO_DTYPE_BIT(d)))
      info.write_dtypes.push_back(static_cast<DType>(d));
  describe_v2(f, info, who);
  describe_v3(f, info);
  return info;
}

} // namespace

PluginLoadError::PluginLoadError(const std::filesystem::path &file, std::string reason)
    : PluginError(ErrorCode::Plugin, "plugin '" + file.string() + "': " + reason, file.string()),
      reason_(std::move(reason)) {}

std::shared_ptr<PluginLibrary> PluginLibrary::load(const std::filesystem::path &file,
                                                   bool bundled) {
  std::shared_ptr<PluginLibrary> self(new PluginLibrary());
  self->info_.path = file;
  self->info_.bundled = bundled;
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
  const std::string who = "the " + self->info_.name + " plugin ('" + file.string() + "')";
  for (size_t i = 0; i < desc->format_count; ++i) {
    try {
      self->formats_.push_back({desc->formats[i], describe(*desc->formats[i], who)});
    } catch (const PluginError &e) {
      plugin_fail(file, e.what());
    }
    self->info_.formats.push_back(self->formats_.back().info);
  }
  log()->debug("loaded plugin '{}' {} from {}", self->info_.name, self->info_.version,
               file.string());
  return self;
}

std::string PluginLibrary::label() const {
  std::string s = "[" + info_.name + " plugin " + info_.version;
  if (!info_.bundled || log()->should_log(spdlog::level::debug))
    s += ", '" + info_.path.string() + "'";
  return s + "]";
}

PluginLibrary::~PluginLibrary() {
  if (c_ != nullptr && WIO_HAS_FIELD(c_, wio_plugin, shutdown) && c_->shutdown != nullptr)
    c_->shutdown();
}

} // namespace weightio::detail
