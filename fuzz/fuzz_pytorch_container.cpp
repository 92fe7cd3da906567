// The PyTorch reader end to end on a whole file (zip or legacy container,
// pickle machine, tree, storages), through a host of its own that checks
// what the reader emits: every MAPPED tensor's bytes and every declared
// storage lie inside the input, a MAPPED tensor inside its storage, a
// STRIDED tensor's furthest element inside its storage, one storage id one
// byte range; refusals are INVALID_FILE or LIMIT only.
#include "pytorch.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>

using namespace weightio;

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "pytorch reader invariant broken: %s\n", what);
    std::abort();
  }
}

struct Host {
  uint64_t size = 0;
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> storages;
};

bool inside(uint64_t off, uint64_t n, uint64_t size) {
  return off <= size && n <= size - off;
}

int32_t emit(void *ctx, const wio_tensor_out *t) {
  auto &h = *static_cast<Host *>(ctx);
  check(t->storage_id != 0, "every tensor declares its storage");
  check(inside(t->storage_offset, t->storage_size, h.size), "storage inside the input");
  auto [it, fresh] = h.storages.try_emplace(t->storage_id, t->storage_offset, t->storage_size);
  check(fresh || it->second == std::make_pair(t->storage_offset, t->storage_size),
        "one storage id, one byte range");
  const uint64_t elsize = sdk::dtype_info(t->dtype).bits / 8;
  uint64_t numel = 1;
  for (uint32_t i = 0; i < t->ndim; ++i)
    numel *= static_cast<uint64_t>(t->shape[i]);
  check(numel * elsize == t->nbytes, "nbytes agrees with the shape");
  if (t->storage == WIO_STORAGE_MAPPED) {
    check(t->offset >= t->storage_offset &&
              inside(t->offset - t->storage_offset, t->nbytes, t->storage_size),
          "a MAPPED tensor lies inside its storage");
  } else if (t->storage == WIO_STORAGE_STRIDED && numel != 0) {
    uint64_t last = t->element_offset;
    for (uint32_t i = 0; i < t->ndim; ++i)
      last += static_cast<uint64_t>(t->shape[i] - 1) * static_cast<uint64_t>(t->strides[i]);
    check(last < t->storage_size / elsize, "a STRIDED tensor lies inside its storage");
  }
  return WIO_OK;
}

int32_t value(void *, wio_str, const wio_value *) {
  return WIO_OK;
}
int32_t metadata(void *, wio_str, wio_str) {
  return WIO_OK;
}
int32_t wants(void *, wio_str) {
  return 1;
}
int32_t progress(void *, uint64_t, uint64_t) {
  return WIO_OK;
}
void warn(void *, wio_str) {}
void *no_alloc(void *, uint64_t, uint64_t) {
  return nullptr;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)pytorch::probe_pytorch(data, size < 4096 ? size : 4096);
  static const wio_kv kOptions[] = {
      {{"max_pickle_objects", 18}, {"100000", 6}}, {{"max_memo_entries", 16}, {"10000", 5}},
      {{"max_stack_depth", 15}, {"10000", 5}},     {{"max_nesting", 11}, {"64", 2}},
      {{"max_string_bytes", 16}, {"65536", 5}},
  };
  const wio_read_limits limits{sizeof(wio_read_limits), 1 << 20, 10000, 16, 4096};
  Host host;
  host.size = size;
  wio_read_request r{};
  r.struct_size = sizeof r;
  r.data = data;
  r.size = size;
  r.limits = &limits;
  r.ctx = &host;
  r.alloc = no_alloc;
  r.wants = wants;
  r.emit_tensor = emit;
  r.emit_metadata = metadata;
  r.progress = progress;
  r.options = kOptions;
  r.option_count = sizeof kOptions / sizeof kOptions[0];
  r.threads = 1;
  r.emit_value = value;
  r.warn = warn;
  r.dequantize = WIO_DEQUANTIZE_NONE;
  char error[512];
  const int32_t st = sdk::guard(error, sizeof error, [&] { pytorch::read_pytorch(r); });
  check(st == WIO_OK || st == WIO_ERR_INVALID_FILE || st == WIO_ERR_LIMIT,
        "refusal is INVALID_FILE or LIMIT");
  return 0;
}
