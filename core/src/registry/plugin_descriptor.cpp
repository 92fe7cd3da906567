#include "model/block_types.hpp"
#include "registry/format_options.hpp"
#include "registry/plugin_library.hpp"

#include <weightio/dtype_info.hpp>

#include <cstring>
#include <string>

namespace weightio::detail {

namespace {

// Fields an ABI 1 descriptor must hold, at the least.
constexpr size_t kMinPluginSize = offsetof(wio_plugin, format_count) + sizeof(size_t);
constexpr size_t kMinFormatSize = offsetof(wio_format, read) + sizeof(void *);
constexpr size_t kMaxFormats = 64;
constexpr size_t kMaxExtensions = 64;
constexpr size_t kMaxExtensionLength = 32;
constexpr size_t kMaxNameLength = 128;

bool bounded_string(const char *s, size_t max) {
  return s != nullptr && ::strnlen(s, max + 1) <= max;
}

std::string check_extension(const char *ext) {
  if (!bounded_string(ext, kMaxExtensionLength))
    return "an extension is longer than " + std::to_string(kMaxExtensionLength) + " bytes";
  if (*ext == '\0')
    return "an extension is empty";
  for (const char *p = ext; *p; ++p) {
    const char c = *p;
    if (c == '.' && p == ext)
      return std::string("extension '") + ext + "' starts with a dot (declare it without)";
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok)
      return std::string("extension '") + ext +
             "' has a character other than lowercase letters, digits, '.', '_' or '-'";
  }
  return {};
}

bool option_name_ok(const char *name) {
  if (!bounded_string(name, 64) || *name == '\0')
    return false;
  for (const char *p = name; *p; ++p)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return false;
  return true;
}

std::string check_option(const wio_option_decl *o, const std::string &fmt) {
  if (o == nullptr || o->struct_size < offsetof(wio_option_decl, max) + sizeof(int64_t))
    return fmt + " declares an option whose struct is null or too small";
  if (!option_name_ok(o->name))
    return fmt + " declares an option whose name is not 1-64 lowercase letters, digits or '_'";
  const std::string opt = fmt + ", option '" + std::string(o->name) + "'";
  if ((o->flags & (WIO_OPTION_SAVE | WIO_OPTION_LOAD)) == 0)
    return opt + " is for neither saving nor loading";
  if (o->description != nullptr && !bounded_string(o->description, 4096))
    return opt + " has an over-long description";
  if (!bounded_string(o->default_value, 4096))
    return opt + " has no default value";
  if (auto why = validate_option_text(*o, o->default_value); !why.empty())
    return opt + ": its default " + why;
  if (o->type == WIO_OPTION_STRING && o->choices != nullptr) {
    size_t n = 0;
    for (; o->choices[n] != nullptr; ++n)
      if (n >= 256 || !bounded_string(o->choices[n], 256))
        return opt + " has too many or over-long choices";
    if (n == 0)
      return opt + " declares an empty list of choices";
  }
  return {};
}

std::string check_limits(const wio_write_limits *l, const std::string &fmt) {
  if (l == nullptr)
    return {};
  if (l->struct_size < offsetof(wio_write_limits, max_metadata_value_bytes) + sizeof(uint64_t))
    return fmt + " declares write limits whose struct_size is too small";
  if (l->max_ndim != 0 && l->min_ndim > l->max_ndim)
    return fmt + " declares min_ndim " + std::to_string(l->min_ndim) + " above max_ndim " +
           std::to_string(l->max_ndim);
  return {};
}

// The fields added in ABI 2, read only when struct_size holds them.
std::string check_format_v2(const wio_format &f, const std::string &fmt) {
  if (WIO_HAS_FIELD(&f, wio_format, probe_bytes) && f.probe_bytes > WIO_PROBE_MAX_BYTES)
    return fmt + " asks for " + std::to_string(f.probe_bytes) + " probe bytes, over the " +
           std::to_string(WIO_PROBE_MAX_BYTES) + " a host gives";
  if (WIO_HAS_FIELD(&f, wio_format, metadata_types) && (f.metadata_types >> WIO_VALUE_COUNT) != 0)
    return fmt + " declares metadata value types this weightio does not know";
  if (WIO_HAS_FIELD(&f, wio_format, block_type_count)) {
    if (f.block_type_count > 4096 || (f.block_type_count != 0 && f.block_types == nullptr))
      return fmt + " declares a block type list that is null or too long";
    for (size_t i = 0; i < f.block_type_count; ++i)
      if (auto why = check_block_type(f.block_types[i]); !why.empty())
        return fmt + ": " + why;
  }
  if (WIO_HAS_FIELD(&f, wio_format, option_count)) {
    if (f.option_count > 256 || (f.option_count != 0 && f.options == nullptr))
      return fmt + " declares an option list that is null or too long";
    for (size_t i = 0; i < f.option_count; ++i) {
      if (auto why = check_option(f.options[i], fmt); !why.empty())
        return why;
      for (size_t j = 0; j < i; ++j)
        if (std::strcmp(f.options[i]->name, f.options[j]->name) == 0)
          return fmt + " declares the option '" + std::string(f.options[i]->name) + "' twice";
    }
  }
  if (WIO_HAS_FIELD(&f, wio_format, write_limits))
    if (auto why = check_limits(f.write_limits, fmt); !why.empty())
      return why;
  // The host writes the split keys itself: the format must hold them.
  constexpr uint32_t kSplitValues = WIO_VALUE_BIT(WIO_VALUE_U16) | WIO_VALUE_BIT(WIO_VALUE_I32);
  if ((f.caps & WIO_CAP_SPLIT_KEYS) && (f.caps & WIO_CAP_WRITE) &&
      (!(f.caps & WIO_CAP_METADATA) || !WIO_HAS_FIELD(&f, wio_format, metadata_types) ||
       (f.metadata_types & kSplitValues) != kSplitValues))
    return fmt + " declares self-describing shard sets (split keys) but its metadata cannot "
                 "hold the UINT16 and INT32 values they need";
  return {};
}

// Whether `ext` (bounded by the caller's check) is one of f's extensions.
bool declares_extension(const wio_format &f, const char *ext) {
  if (!bounded_string(ext, kMaxExtensionLength))
    return false;
  for (size_t i = 0; f.extensions[i] != nullptr; ++i)
    if (std::strcmp(f.extensions[i], ext) == 0)
      return true;
  return false;
}

// The fields added in ABI 3, read only when struct_size holds them.
std::string check_format_v3(const wio_format &f, const std::string &fmt) {
  if (WIO_HAS_FIELD(&f, wio_format, max_array_depth) && f.max_array_depth > WIO_MAX_VALUE_DEPTH)
    return fmt + " declares arrays nested " + std::to_string(f.max_array_depth) +
           " deep, over the " + std::to_string(WIO_MAX_VALUE_DEPTH) + " values may nest";
  if (WIO_HAS_FIELD(&f, wio_format, dequantize_dtypes) && f.dequantize_dtypes != 0) {
    if (f.dequantize_dtypes >> WIO_DTYPE_COUNT_V1)
      return fmt + " declares dequantizing to dtypes this weightio does not know";
    if (!(f.caps & WIO_CAP_READ) || f.block_type_count == 0)
      return fmt + " declares dequantizing but reads no block types";
  }
  if (WIO_HAS_FIELD(&f, wio_format, shared_extensions) && f.shared_extensions != nullptr)
    for (size_t i = 0; f.shared_extensions[i] != nullptr; ++i) {
      if (i >= kMaxExtensions)
        return fmt + " declares more than " + std::to_string(kMaxExtensions) + " shared extensions";
      if (!declares_extension(f, f.shared_extensions[i]))
        return fmt + " shares an extension it does not declare";
    }
  if (WIO_HAS_FIELD(&f, wio_format, folder_names) && f.folder_names != nullptr)
    for (size_t i = 0; f.folder_names[i] != nullptr; ++i) {
      if (i >= kMaxExtensions)
        return fmt + " declares more than " + std::to_string(kMaxExtensions) + " folder names";
      if (!bounded_string(f.folder_names[i], kMaxNameLength) || f.folder_names[i][0] == '\0' ||
          std::strchr(f.folder_names[i], '/') != nullptr)
        return fmt + " declares a folder name pattern that is empty, too long or has a '/'";
    }
  return {};
}

std::string check_format(const wio_format *f, size_t index) {
  const std::string where = "format #" + std::to_string(index);
  if (f == nullptr)
    return where + " is a null pointer";
  if (f->struct_size < kMinFormatSize)
    return where + " has struct_size " + std::to_string(f->struct_size) + ", less than ABI 1's " +
           std::to_string(kMinFormatSize);
  if (!bounded_string(f->name, kMaxNameLength) || f->name[0] == '\0')
    return where + " has no name";
  const std::string fmt = "format '" + std::string(f->name) + "'";
  if (f->description != nullptr && !bounded_string(f->description, 4096))
    return fmt + " has an over-long description";
  if (f->extensions == nullptr || f->extensions[0] == nullptr)
    return fmt + " declares no extensions";
  size_t n = 0;
  for (; f->extensions[n] != nullptr; ++n) {
    if (n >= kMaxExtensions)
      return fmt + " declares more than " + std::to_string(kMaxExtensions) + " extensions";
    if (auto why = check_extension(f->extensions[n]); !why.empty())
      return fmt + ": " + why;
  }
  if ((f->caps & (WIO_CAP_READ | WIO_CAP_WRITE)) == 0)
    return fmt + " can neither read nor write";
  if ((f->caps & WIO_CAP_READ) && f->read == nullptr)
    return fmt + " declares reading but its read function is null";
  if ((f->caps & WIO_CAP_WRITE) && f->write == nullptr)
    return fmt + " declares writing but its write function is null";
  if (f->probe == nullptr)
    return fmt + " has a null probe function";
  if (f->write_dtypes >> WIO_DTYPE_COUNT_V1)
    return fmt + " declares dtypes this weightio does not know";
  if (auto why = check_format_v2(*f, fmt); !why.empty())
    return why;
  return check_format_v3(*f, fmt);
}

} // namespace

std::string check_descriptor(const wio_plugin *p) {
  if (p == nullptr)
    return "the entry function returned no descriptor (the plugin declined this host)";
  if (p->struct_size < 2 * sizeof(uint32_t))
    return "descriptor struct_size " + std::to_string(p->struct_size) + " is too small";
  if (p->abi_version > WEIGHTIO_ABI_VERSION)
    return "built for plugin ABI " + std::to_string(p->abi_version) +
           ", newer than this weightio's ABI " + std::to_string(WEIGHTIO_ABI_VERSION) +
           " (upgrade weightio or rebuild the plugin)";
  if (p->abi_version < WEIGHTIO_ABI_MIN_VERSION)
    return "built for plugin ABI " + std::to_string(p->abi_version) +
           ", older than the oldest this weightio reads (" +
           std::to_string(WEIGHTIO_ABI_MIN_VERSION) + ")";
  if (p->struct_size < kMinPluginSize)
    return "descriptor struct_size " + std::to_string(p->struct_size) + " is less than ABI " +
           std::to_string(p->abi_version) + "'s " + std::to_string(kMinPluginSize);
  if (!bounded_string(p->name, kMaxNameLength) || p->name[0] == '\0')
    return "the descriptor has no plugin name";
  if (!bounded_string(p->version, kMaxNameLength))
    return "the descriptor has no version string";
  if (p->format_count == 0 || p->formats == nullptr)
    return "the plugin declares no formats";
  if (p->format_count > kMaxFormats)
    return "the plugin declares more than " + std::to_string(kMaxFormats) + " formats";
  for (size_t i = 0; i < p->format_count; ++i)
    if (auto why = check_format(p->formats[i], i); !why.empty())
      return why;
  return {};
}

} // namespace weightio::detail
