/*
 * "rawt": a deliberately small weights format, written as a plain C99 plugin
 * to show (and test) that the weightio ABI needs no C++ on the plugin side.
 *
 * Layout (all integers little-endian, this plugin assumes a little-endian
 * host):
 *   "WIORAWT1"                       8-byte magic
 *   u64 count
 *   count x { u32 name_len, name bytes, i32 dtype, u32 ndim,
 *             i64 shape[ndim], u64 nbytes, u64 data_offset }
 *   tensor data, each starting at a multiple of 64 bytes from the file start
 */
#include <weightio/plugin_abi.h>

#include <stdio.h>
#include <string.h>

static const char kMagic[8] = {'W', 'I', 'O', 'R', 'A', 'W', 'T', '1'};

static int32_t set_error(char *error, size_t size, int32_t status, const char *text) {
  if (error != NULL && size > 0) {
    snprintf(error, size, "%s", text);
  }
  return status;
}

static uint64_t align64(uint64_t x) {
  return (x + 63u) & ~(uint64_t)63u;
}

static uint64_t entry_size(const wio_tensor_in *t) {
  return 4u + t->name.size + 4u + 4u + 8u * (uint64_t)t->ndim + 8u + 8u;
}

static int32_t put(const wio_sink *s, const void *p, size_t n) {
  return s->write(s->ctx, p, n);
}

static int32_t rawt_write(const wio_write_request *req, char *error, size_t error_size) {
  static const uint8_t zeros[64] = {0};
  const wio_sink *s = req->sink;
  uint64_t header = 16u;
  uint64_t offset, total = 0, done = 0;
  size_t i;
  int32_t st;
  for (i = 0; i < req->tensor_count; ++i) {
    header += entry_size(&req->tensors[i]);
    total += req->tensors[i].nbytes;
  }
  /* Header first, with each tensor's data offset computed up front. */
  st = put(s, kMagic, 8);
  if (st == WIO_OK) {
    uint64_t count = req->tensor_count;
    st = put(s, &count, 8);
  }
  offset = align64(header);
  for (i = 0; i < req->tensor_count && st == WIO_OK; ++i) {
    const wio_tensor_in *t = &req->tensors[i];
    uint32_t name_len = (uint32_t)t->name.size;
    st = put(s, &name_len, 4);
    if (st == WIO_OK)
      st = put(s, t->name.data, t->name.size);
    if (st == WIO_OK)
      st = put(s, &t->dtype, 4);
    if (st == WIO_OK)
      st = put(s, &t->ndim, 4);
    if (st == WIO_OK)
      st = put(s, t->shape, 8u * t->ndim);
    if (st == WIO_OK)
      st = put(s, &t->nbytes, 8);
    if (st == WIO_OK)
      st = put(s, &offset, 8);
    offset = align64(offset + t->nbytes);
  }
  for (i = 0; i < req->tensor_count && st == WIO_OK; ++i) {
    const wio_tensor_in *t = &req->tensors[i];
    uint64_t pad = align64(s->position(s->ctx)) - s->position(s->ctx);
    wio_iovec iov[2];
    iov[0].data = zeros;
    iov[0].size = (size_t)pad;
    iov[1].data = t->data;
    iov[1].size = (size_t)t->nbytes;
    st = s->writev(s->ctx, iov, 2);
    done += t->nbytes;
    if (st == WIO_OK)
      st = s->progress(s->ctx, done, total);
  }
  if (st != WIO_OK)
    return set_error(error, error_size, st, "output failed");
  return WIO_OK;
}

/* Bounds-checked cursor over the input. */
typedef struct cursor {
  const uint8_t *p;
  uint64_t left;
} cursor;

static int take(cursor *c, void *out, uint64_t n) {
  if (n > c->left)
    return 0;
  if (out != NULL)
    memcpy(out, c->p, (size_t)n);
  c->p += n;
  c->left -= n;
  return 1;
}

static int32_t rawt_read(const wio_read_request *req, char *error, size_t error_size) {
  cursor c;
  uint64_t count, i;
  char magic[8];
  c.p = req->data;
  c.left = req->size;
  if (!take(&c, magic, 8) || memcmp(magic, kMagic, 8) != 0)
    return set_error(error, error_size, WIO_ERR_INVALID_FILE, "not a rawt file (bad magic)");
  if (!take(&c, &count, 8))
    return set_error(error, error_size, WIO_ERR_INVALID_FILE, "truncated header");
  /* Each entry takes at least 28 bytes: a count the file can't hold is a lie. */
  if (count > c.left / 28u)
    return set_error(error, error_size, WIO_ERR_INVALID_FILE, "tensor count exceeds the file");
  for (i = 0; i < count; ++i) {
    uint32_t name_len, ndim;
    int32_t dtype;
    int64_t shape[64];
    uint64_t nbytes, offset;
    const char *name;
    wio_tensor_out t;
    int32_t st;
    if (!take(&c, &name_len, 4))
      return set_error(error, error_size, WIO_ERR_INVALID_FILE, "truncated header");
    name = (const char *)c.p;
    if (!take(&c, NULL, name_len) || !take(&c, &dtype, 4) || !take(&c, &ndim, 4))
      return set_error(error, error_size, WIO_ERR_INVALID_FILE, "truncated header");
    if (ndim > 64)
      return set_error(error, error_size, WIO_ERR_INVALID_FILE, "too many dimensions");
    if (!take(&c, shape, 8u * ndim) || !take(&c, &nbytes, 8) || !take(&c, &offset, 8))
      return set_error(error, error_size, WIO_ERR_INVALID_FILE, "truncated header");
    if (offset > req->size || nbytes > req->size - offset)
      return set_error(error, error_size, WIO_ERR_INVALID_FILE, "tensor data outside the file");
    memset(&t, 0, sizeof t);
    t.struct_size = sizeof t;
    t.dtype = dtype;
    t.name.data = name;
    t.name.size = name_len;
    t.ndim = ndim;
    t.shape = shape;
    t.storage = WIO_STORAGE_MAPPED;
    t.offset = offset;
    t.nbytes = nbytes;
    /* The host checks dtype, shape and bounds again and keeps the reason. */
    st = req->emit_tensor(req->ctx, &t);
    if (st != WIO_OK)
      return set_error(error, error_size, st, "the host refused a tensor");
  }
  return WIO_OK;
}

static int32_t rawt_probe(const uint8_t *head, size_t size) {
  if (size < 8)
    return WIO_PROBE_UNSURE;
  return memcmp(head, kMagic, 8) == 0 ? WIO_PROBE_YES : WIO_PROBE_NO;
}

static const char *const kExtensions[] = {"rawt", NULL};

static const wio_format kFormat = {
    sizeof(wio_format),
    "rawt",
    "raw tensors, 64-byte aligned (example plugin in plain C)",
    kExtensions,
    WIO_CAP_READ | WIO_CAP_WRITE,
    /* every dtype of ABI 1 */ (UINT64_C(1) << WIO_DTYPE_COUNT_V1) - 1u,
    rawt_probe,
    rawt_write,
    rawt_read,
};

static const wio_format *const kFormats[] = {&kFormat};

static const wio_plugin kPlugin = {
    sizeof(wio_plugin), WEIGHTIO_ABI_VERSION, "rawt", "1.0.0", kFormats, 1, NULL,
};

WEIGHTIO_PLUGIN_EXPORT const wio_plugin *weightio_plugin_entry(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &kPlugin;
}
