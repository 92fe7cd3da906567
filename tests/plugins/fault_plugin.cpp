// "wfault": a minimal one-tensor format built once per defect, so the
// conformance kit's tests can show that each defect fails the check that
// matches it. FAULT_NONE has no defect and must pass every check.
//
// File layout (little-endian): "WIOFAULT", u64 stamp (0), u64 nbytes,
// u64 offset, u32 name_len, name, zero padding to a multiple of 8, then
// nbytes of U8 data at `offset`. The tensor is 1-D.
//
//   FAULT_TIMESTAMP  the writer stores the time in `stamp`
//   FAULT_CRASH      the reader crashes when the data is cut short
//   FAULT_HANG       the reader never returns on a 24-byte input
//   FAULT_BALLOON    the reader allocates (and touches) whatever nbytes says
//   FAULT_PROBE_YES  probe answers YES to everything
//   FAULT_EXPORTS    built without the version script, exporting a helper
//   FAULT_OUTSIDE    the reader trusts offset and nbytes (a view outside
//                    the input when they lie)
#include <weightio/plugin_sdk.hpp>

#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>
#include <vector>

namespace {

using namespace weightio::sdk;

constexpr char kMagic[8] = {'W', 'I', 'O', 'F', 'A', 'U', 'L', 'T'};
constexpr size_t kFixed = 36;

uint64_t rd64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

int32_t write(const wio_write_request *req, char *error, size_t size) {
  return guard(error, size, [&] {
    if (req->tensor_count != 1)
      fail(WIO_ERR_UNSUPPORTED_OPTION, "wfault holds exactly one tensor");
    const wio_tensor_in &t = req->tensors[0];
    Sink sink(req->sink);
    uint64_t stamp = 0;
#if defined(FAULT_TIMESTAMP)
    stamp = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
#endif
    const uint32_t name_len = static_cast<uint32_t>(t.name.size);
    const uint64_t offset = (kFixed + name_len + 7) / 8 * 8;
    std::vector<uint8_t> head(offset, 0);
    std::memcpy(head.data(), kMagic, 8);
    std::memcpy(head.data() + 8, &stamp, 8);
    std::memcpy(head.data() + 16, &t.nbytes, 8);
    std::memcpy(head.data() + 24, &offset, 8);
    std::memcpy(head.data() + 32, &name_len, 4);
    if (name_len)
      std::memcpy(head.data() + kFixed, t.name.data, name_len);
    sink.write(head.data(), head.size());
    sink.write(t.data, t.nbytes);
    sink.progress(t.nbytes, t.nbytes);
  });
}

int32_t read(const wio_read_request *req, char *error, size_t size) {
  return guard(error, size, [&] {
    ReadContext ctx(req);
    const uint8_t *d = ctx.data();
    const uint64_t n = ctx.size();
#if defined(FAULT_HANG)
    while (n == 24)
      std::this_thread::sleep_for(std::chrono::seconds(1));
#endif
    if (n < kFixed || std::memcmp(d, kMagic, 8) != 0)
      invalid_file("not a wfault file (too short or no magic)");
    const uint64_t nbytes = rd64(d + 16);
    const uint64_t offset = rd64(d + 24);
    uint32_t name_len;
    std::memcpy(&name_len, d + 32, 4);
    if (name_len > 64 || kFixed + name_len > n)
      invalid_file("bad name length");
#if defined(FAULT_BALLOON)
    std::vector<uint8_t> scratch(nbytes, 1); // what the header claims, touched
    if (scratch.size() > n)
      invalid_file("data is longer than the file");
#endif
#if defined(FAULT_CRASH)
    if (offset > n || nbytes > n - offset)
      std::raise(SIGSEGV);
#endif
#if !defined(FAULT_OUTSIDE)
    if (offset != (kFixed + name_len + 7) / 8 * 8 || offset > n || nbytes != n - offset)
      invalid_file("data offset or size disagrees with the file");
#endif
    const int64_t shape[1] = {static_cast<int64_t>(nbytes)};
    const std::string_view name(reinterpret_cast<const char *>(d + kFixed), name_len);
    ctx.emit(mapped_tensor(WIO_DTYPE_U8, name, shape, 1, offset, nbytes));
  });
}

int32_t probe(const uint8_t *head, size_t size) {
#if defined(FAULT_PROBE_YES)
  (void)head;
  (void)size;
  return WIO_PROBE_YES;
#else
  if (size < 8)
    return std::memcmp(head, kMagic, size) == 0 ? WIO_PROBE_UNSURE : WIO_PROBE_NO;
  return std::memcmp(head, kMagic, 8) == 0 ? WIO_PROBE_YES : WIO_PROBE_NO;
#endif
}

const char *const kExtensions[] = {"wfault", nullptr};
const wio_write_limits kLimits = {sizeof(wio_write_limits), 0, 1, 1, 64, 1, 0};
const wio_format kFormat = [] {
  wio_format f = empty_format();
  f.name = "wfault";
  f.description = "a one-tensor test format with one defect per build";
  f.extensions = kExtensions;
  f.caps = WIO_CAP_READ | WIO_CAP_WRITE;
  f.write_dtypes = WIO_DTYPE_BIT(WIO_DTYPE_U8);
  f.probe = probe;
  f.write = write;
  f.read = read;
  f.probe_bytes = 8;
  f.write_limits = &kLimits;
  return f;
}();
const wio_format *const kFormats[] = {&kFormat};
const wio_plugin kPlugin = {
    sizeof(wio_plugin), WEIGHTIO_ABI_VERSION, "wfault", "0.0.1", kFormats, 1, nullptr};

} // namespace

#if defined(FAULT_EXPORTS)
extern "C" WEIGHTIO_PLUGIN_EXPORT int wfault_extra_helper(void) {
  return 42;
}
#endif

WEIGHTIO_DEFINE_PLUGIN(kPlugin)
