#include "dtype_order.hpp"
#include "duplicates.hpp"
#include "header_parse.hpp"
#include "header_write.hpp"
#include "safetensors_io.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/dtype_info.hpp>
#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace weightio::safetensors {

namespace {

// Tensor data is handed to the sink in pieces of at most this, each
// followed by a progress report.
constexpr uint64_t kProgressStep = uint64_t{4} << 20;

[[noreturn]] void refuse_content(const std::string &message) {
  sdk::fail(WIO_ERR_UNSUPPORTED_OPTION, message);
}

void check_request(const wio_write_request &r) {
  if (r.compression_level != 0)
    refuse_content("safetensors files are not compressed; compression level " +
                   std::to_string(r.compression_level) + " cannot be honoured");
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const wio_tensor_in &t = r.tensors[i];
    const std::string_view name = sdk::view(t.name);
    if (!sdk::dtype_valid(t.dtype))
      sdk::fail(WIO_ERR_UNSUPPORTED_DTYPE,
                "tensor " + sdk::quoted(name) + ": unknown dtype " + std::to_string(t.dtype));
    if (!is_safetensors_dtype(t.dtype))
      sdk::fail(WIO_ERR_UNSUPPORTED_DTYPE,
                "tensor " + sdk::quoted(name) + ": dtype " +
                    std::string(sdk::dtype_info(t.dtype).name) +
                    " cannot be stored in safetensors, which has no complex128 (convert it to "
                    "C64, or store the real and imaginary parts as two F64 tensors)");
    if (!sdk::is_utf8(name))
      refuse_content("tensor " + sdk::quoted(name) +
                     ": the name is not valid UTF-8, which safetensors requires");
    if (name == "__metadata__")
      refuse_content("a tensor cannot be named \"__metadata__\" in safetensors; the header "
                     "reserves that key for the metadata");
    auto nbytes = sdk::checked_nbytes(t.dtype, t.shape, t.ndim);
    if (!nbytes || *nbytes != t.nbytes || (t.nbytes != 0 && t.data == nullptr))
      sdk::fail(WIO_ERR_INTERNAL, "tensor " + sdk::quoted(name) +
                                      ": the host passed a byte count that does not match the "
                                      "shape and dtype");
  }
  // The format declares strings only, so the host sends no other type.
  for (const sdk::MetadataEntry e : sdk::metadata(r))
    if (!sdk::is_utf8(e.key) || !sdk::is_utf8(sdk::view(e.value.as.str)))
      refuse_content("metadata entry " + sdk::quoted(e.key) +
                     ": keys and values must be valid UTF-8 in safetensors");
}

// Tensor indices in the official writer's data order.
std::vector<size_t> data_order(const wio_write_request &r) {
  if (auto dup =
          find_duplicate(r.tensor_count, [&](size_t i) { return sdk::view(r.tensors[i].name); }))
    refuse_content("tensor " + sdk::quoted(*dup) + " is given twice; names must be unique");

  // Sort compact keys rather than indices into the request: the comparator
  // then touches one array, not the host's tensor table.
  struct Key {
    int rank;
    std::string_view name;
    size_t index;
  };
  std::vector<Key> keys(r.tensor_count);
  for (size_t i = 0; i < r.tensor_count; ++i)
    keys[i] = {writer_dtype_rank(r.tensors[i].dtype), sdk::view(r.tensors[i].name), i};
  std::sort(keys.begin(), keys.end(), [](const Key &a, const Key &b) {
    if (a.rank != b.rank)
      return a.rank < b.rank;
    return a.name < b.name; // char_traits<char>: bytewise, as Rust's String
  });
  std::vector<size_t> order(keys.size());
  for (size_t i = 0; i < keys.size(); ++i)
    order[i] = keys[i].index;
  return order;
}

std::vector<MetadataEntry> sorted_metadata(const wio_write_request &r) {
  const sdk::MetadataView entries = sdk::metadata(r);
  std::vector<MetadataEntry> meta;
  meta.reserve(entries.size());
  for (const sdk::MetadataEntry e : entries)
    meta.emplace_back(e.key, sdk::view(e.value.as.str));
  std::sort(meta.begin(), meta.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
  for (size_t i = 1; i < meta.size(); ++i)
    if (meta[i].first == meta[i - 1].first)
      refuse_content("metadata key " + sdk::quoted(meta[i].first) + " is given twice");
  return meta;
}

void write_impl(const wio_write_request &r) {
  check_request(r);
  const std::vector<size_t> order = data_order(r);
  const std::vector<MetadataEntry> meta = sorted_metadata(r);

  std::vector<HeaderTensor> layout;
  layout.reserve(order.size());
  uint64_t offset = 0;
  for (size_t i : order) {
    const wio_tensor_in &t = r.tensors[i];
    if (t.nbytes > UINT64_MAX - offset)
      refuse_content("the tensors hold more than 2^64 bytes in total");
    layout.push_back({sdk::view(t.name), t.dtype, {t.shape, t.ndim}, offset, offset + t.nbytes});
    offset += t.nbytes;
  }
  const uint64_t total_data = offset;

  const std::string header = build_header(layout, meta);
  if (header.size() > kMaxHeaderBytes)
    refuse_content("the safetensors header would be " + std::to_string(header.size()) +
                   " bytes, more than the " + std::to_string(kMaxHeaderBytes) +
                   " bytes readers accept (too many tensors or too much metadata)");

  uint8_t length[8];
  sdk::store_le<uint64_t>(length, header.size());

  // Plain sink writes: the host stages them and writes large aligned blocks
  // on a thread of its own (core/src/file_sink.hpp). Tensor data goes in
  // pieces, so that the progress moves within a large tensor.
  const sdk::Sink sink(r.sink);
  sink.write(length, sizeof length);
  sink.write(header.data(), header.size());
  uint64_t done = 0;
  for (size_t i : order) {
    const auto *data = static_cast<const uint8_t *>(r.tensors[i].data);
    const uint64_t nbytes = r.tensors[i].nbytes;
    for (uint64_t at = 0; at < nbytes;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(nbytes - at, kProgressStep));
      sink.write(data + at, n);
      at += n;
      done += n;
      sink.progress(done, total_data);
    }
  }
  sink.progress(done, total_data);
}

} // namespace

int32_t write_file(const wio_write_request *request, char *error, size_t error_size) noexcept {
  return sdk::guard(error, error_size, [&] { write_impl(*request); });
}

} // namespace weightio::safetensors
