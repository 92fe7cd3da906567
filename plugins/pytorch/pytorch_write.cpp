#include "pytorch.hpp"
#include "state_dict_pickle.hpp"
#include "torch_dtypes.hpp"
#include "write_refusal.hpp"
#include "zip/zip_writer.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

namespace weightio::pytorch {
namespace {

// torch 1.13 names the archive's one folder after the file's stem
// (`model/` in model.pt), or `archive/` when saving to a file object; the
// writer is not told the file's name, so it always writes `archive/`, as
// torch 2.x does for every file. Readers take the folder from the first
// record, whatever it is.
constexpr std::string_view kFolder = "archive/";
// The archive format version torch 1.13 writes for a state dict.
constexpr std::string_view kVersion = "3\n";

constexpr uint64_t kProgressStep = uint64_t{1} << 20;

std::string dtype_label(int32_t dtype) {
  return sdk::dtype_valid(dtype) ? std::string(sdk::dtype_info(dtype).name)
                                 : "#" + std::to_string(dtype);
}

// Everything that could make the write fail on the caller's input is checked
// before the first byte goes out, so a refused save writes nothing.
void validate(const wio_write_request &r) {
  for (size_t i = 0; i < r.tensor_count; ++i) {
    const wio_tensor_in &t = r.tensors[i];
    const std::string_view name = sdk::view(t.name);
    if (!sdk::dtype_valid(t.dtype) || storage_class_of(static_cast<wio_dtype>(t.dtype)).empty())
      refuse(WriteRefusal::dtype, name,
             "torch 1.13 has no storage for dtype " + dtype_label(t.dtype));
    // The unpickler decodes a str as UTF-8.
    if (!sdk::is_utf8(name))
      refuse(WriteRefusal::name, name, "a state dict key must be valid UTF-8");
    const auto nbytes = sdk::checked_nbytes(t.dtype, t.shape, t.ndim);
    if (!nbytes || *nbytes != t.nbytes || (t.nbytes != 0 && t.data == nullptr))
      refuse(WriteRefusal::byte_size, name, "the bytes given do not match its shape and dtype");
  }
}

// torch.save writes the storages in the order of their keys sorted as
// strings ("0", "1", "10", "11", "2", ...).
std::vector<size_t> record_order(size_t count) {
  std::vector<std::string> keys(count);
  for (size_t i = 0; i < count; ++i)
    keys[i] = std::to_string(i);
  std::vector<size_t> order(count);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  return order;
}

void add_small(zip::ZipWriter &archive, std::string_view name, std::string_view bytes) {
  archive.write_stored(name, {}, bytes.data(), bytes.size(), [](uint64_t) {});
}

} // namespace

void write_pytorch(const wio_write_request &r) {
  validate(r);
  const std::string pickle = state_dict_pickle(r);
  const sdk::Sink sink(r.sink);
  uint64_t total = 0;
  for (size_t i = 0; i < r.tensor_count; ++i)
    total += r.tensors[i].nbytes;

  zip::ZipWriter archive(sink, sink.position(), /*force_zip64=*/false);
  std::string name(kFolder);
  add_small(archive, name.append("data.pkl"), pickle);

  uint64_t done = 0, reported = 0;
  auto advance = [&](uint64_t n) { // per MiB, not per small record
    done += n;
    if (done - reported >= kProgressStep) {
      sink.progress(done, total);
      reported = done;
    }
  };
  for (const size_t i : record_order(r.tensor_count)) {
    name.assign(kFolder).append("data/").append(std::to_string(i));
    archive.write_stored(name, {}, r.tensors[i].data, r.tensors[i].nbytes, advance);
  }
  add_small(archive, name.assign(kFolder).append("version"), kVersion);
  archive.finish();
  sink.progress(done, total);
}

} // namespace weightio::pytorch
