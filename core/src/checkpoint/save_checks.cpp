#include "checkpoint/save_checks.hpp"

#include "host/c_value.hpp"
#include "registry/legacy_options.hpp"
#include "support/limit_text.hpp"

#include <weightio/error.hpp>
#include <weightio/quoted.hpp>

#include <algorithm>

namespace weightio::detail {

namespace {

[[noreturn]] void refuse(ErrorCode code, const std::string &file, const std::string &why,
                         const std::string &tensor = {}) {
  throw UnsupportedError(code, "cannot save '" + file + "': " + why, file, tensor);
}

void check_tensor_types(const FormatInfo &f, const FlatParams &params, const std::string &file) {
  for (const auto &[name, view] : params) {
    if (view.data() == nullptr && view.nbytes() != 0)
      throw Error(ErrorCode::InvalidArgument,
                  "cannot save '" + file + "': tensor " + sdk::quoted(name) +
                      " has no bytes (it was loaded with LoadOptions::describe_only)",
                  file, name);
    if (const BlockType *b = view.block_type()) {
      if (std::find(f.block_types.begin(), f.block_types.end(), b) == f.block_types.end())
        refuse(ErrorCode::UnsupportedDType, file,
               "tensor " + sdk::quoted(name) + " has the block-quantized type " + b->name +
                   ", which the " + f.name + " format cannot hold" +
                   (f.block_types.empty() ? " (dequantize it first)" : ""),
               name);
      continue;
    }
    if (std::find(f.write_dtypes.begin(), f.write_dtypes.end(), view.dtype()) ==
        f.write_dtypes.end())
      refuse(ErrorCode::UnsupportedDType, file,
             "tensor " + sdk::quoted(name) + " has dtype " + std::string(dtype_name(view.dtype())) +
                 ", which the " + f.name + " format cannot hold",
             name);
  }
}

void check_limits(const FormatInfo &f, const FlatParams &params, const Metadata &metadata,
                  const std::string &file) {
  const WriteLimits &l = f.limits;
  const std::string fmt = "the " + f.name + " format";
  auto over = [&](const std::string &context, std::string_view what, uint64_t value, uint64_t limit,
                  const char *field, const std::string &tensor = {}) {
    throw UnsupportedError(ErrorCode::UnsupportedOption,
                           "cannot save '" + file + "': " + context + ": " +
                               over_limit_text(what, value, limit, field),
                           file, tensor, field);
  };
  if (l.max_tensors && params.size() > l.max_tensors)
    over(fmt + " holds at most " + std::to_string(l.max_tensors) + " tensors a file",
         "tensor count", params.size(), l.max_tensors, "max_tensors");
  for (const auto &[name, view] : params) {
    const auto ndim = static_cast<uint32_t>(view.shape().size());
    const std::string has =
        "tensor " + sdk::quoted(name) + " has " + std::to_string(ndim) + " dimensions";
    if (ndim < l.min_ndim)
      throw UnsupportedError(ErrorCode::UnsupportedOption,
                             "cannot save '" + file + "': " + has + "; " + fmt + " holds " +
                                 std::to_string(l.min_ndim) + " or more (min_ndim)",
                             file, name, "min_ndim");
    if (l.max_ndim && ndim > l.max_ndim)
      over(has, "dimension count", ndim, l.max_ndim, "max_ndim", name);
    for (size_t i = 0; i < view.shape().size(); ++i)
      if (view.shape()[i] == 0 && (!l.zero_dims || (!l.zero_outer_dims && i + 1 < ndim)))
        throw UnsupportedError(ErrorCode::UnsupportedOption,
                               "cannot save '" + file + "': tensor " + sdk::quoted(name) +
                                   " has shape " + shape_to_string(view.shape()) + "; " + fmt +
                                   " holds no zero-length " + (l.zero_dims ? "outer " : "") +
                                   "dimension",
                               file, name, "zero_dims");
    if (l.max_name_bytes && name.size() > l.max_name_bytes)
      over("tensor " + sdk::quoted(name) + ": " + fmt + " holds at most " +
               std::to_string(l.max_name_bytes) + " bytes of name",
           "name length", name.size(), l.max_name_bytes, "max_name_bytes", name);
  }
  if (l.max_metadata_value_bytes)
    for (const auto &[key, value] : metadata)
      if (value.payload_bytes() > l.max_metadata_value_bytes)
        over("metadata value " + sdk::quoted(key), "value size", value.payload_bytes(),
             l.max_metadata_value_bytes, "max_metadata_value_bytes");
}

void check_metadata(const FormatInfo &f, const Metadata &metadata, const std::string &file) {
  if (metadata.empty())
    return;
  if (!f.metadata)
    refuse(ErrorCode::UnsupportedOption, file, "the " + f.name + " format holds no metadata");
  for (const auto &[key, value] : metadata) {
    if (value.depth() > WIO_MAX_VALUE_DEPTH)
      throw Error(ErrorCode::InvalidArgument,
                  "cannot save '" + file + "': metadata value " + sdk::quoted(key) +
                      " nests deeper than " + std::to_string(WIO_MAX_VALUE_DEPTH) + " levels",
                  file);
    // Arrays nested deeper than the format declared: a limit, named as one.
    if (auto why = depth_refusal(key, value, f); !why.empty())
      throw UnsupportedError(ErrorCode::UnsupportedOption, "cannot save '" + file + "': " + why,
                             file, {}, "max_array_depth");
    ValueType missing{};
    if (!value_fits(value, f.metadata_types, missing))
      refuse(ErrorCode::UnsupportedOption, file,
             "metadata value " + sdk::quoted(key) + " is " +
                 (value.type() == ValueType::Array && missing != ValueType::Array
                      ? "an array of " + std::string(value_type_name(missing))
                      : "of type " + std::string(value_type_name(missing))) +
                 ", which the " + f.name + " format cannot hold");
  }
}

// The options the writer gets, the deprecated force_zip64 included.
OptionList save_options(const FormatInfo &f, const SaveOptions &o, const std::string &file) {
  return resolve_options(f, save_option_text(f, o), /*save=*/true, file);
}

} // namespace

OptionList check_save(const FormatInfo &f, const FlatParams &params, const SaveOptions &o,
                      const std::string &file) {
  check_tensor_types(f, params, file);
  check_metadata(f, o.metadata, file);
  check_limits(f, params, o.metadata, file);
  if (o.compression != 0 && !f.compression)
    refuse(ErrorCode::UnsupportedOption, file, "the " + f.name + " format does not compress");
  if (o.compression < -1 || o.compression > 9)
    throw Error(ErrorCode::InvalidArgument,
                "cannot save '" + file + "': compression level " + std::to_string(o.compression) +
                    " is not in -1..9",
                file);
  return save_options(f, o, file);
}

} // namespace weightio::detail
