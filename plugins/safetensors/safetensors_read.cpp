#include "header_parse.hpp"
#include "safetensors_io.hpp"

#include <weightio/plugin_sdk.hpp>

namespace weightio::safetensors {

namespace {

void read_impl(const wio_read_request &r) {
  const sdk::ReadContext ctx(&r);
  // Every field of wio_read_limits exists since ABI 1.
  const wio_read_limits &l = ctx.limits();
  const ParseLimits limits{l.max_header_bytes, l.max_tensors, l.max_ndim, l.max_name_bytes};
  // Everything is validated before the first tensor goes out, so a bad file
  // never leaves the host with half a load. Only the header is touched: the
  // data stays in the mapping and the host decides view or copy.
  const ParsedHeader h = parse_header({r.data, static_cast<size_t>(r.size)}, limits);
  ctx.progress(h.data_start, r.size);

  for (const auto &[key, value] : h.metadata)
    ctx.metadata(key, value);
  for (const TensorEntry &t : h.tensors) {
    const std::string_view name = h.name(t);
    if (!ctx.wants(name))
      continue;
    ctx.emit(sdk::mapped_tensor(t.dtype, name, h.extents_i64() + t.shape_pos, t.ndim,
                                h.data_start + t.begin, t.end - t.begin));
  }
  ctx.progress(r.size, r.size);
}

} // namespace

int32_t read_file(const wio_read_request *request, char *error, size_t error_size) noexcept {
  return sdk::guard(error, error_size, [&] { read_impl(*request); });
}

} // namespace weightio::safetensors
