/* Test plugins with exactly one defect each, selected by VARIANT_* at build
 * time. The host must refuse each with an error naming the file and reason,
 * and keep working. */
#include <weightio/plugin_abi.h>

#include <string.h>

#if defined(VARIANT_MISSING_DEP)
int wio_test_dep_value(void);
#endif

static int32_t probe(const uint8_t *head, size_t size) {
  (void)head;
  (void)size;
#if defined(VARIANT_MISSING_DEP)
  return wio_test_dep_value() == 42 ? WIO_PROBE_NO : WIO_PROBE_UNSURE;
#elif defined(VARIANT_DUP_A) || defined(VARIANT_DUP_B)
  /* Both claim the same first bytes too: probing must not pick one silently. */
  return size >= 8 && memcmp(head, "WIOTDUP1", 8) == 0 ? WIO_PROBE_YES : WIO_PROBE_NO;
#else
  return WIO_PROBE_NO;
#endif
}

static int32_t write_fn(const wio_write_request *req, char *error, size_t size) {
  (void)req;
  if (size > 0)
    strncpy(error, "not implemented", size - 1);
  return WIO_ERR_INTERNAL;
}

static int32_t read_fn(const wio_read_request *req, char *error, size_t size) {
  (void)req;
  if (size > 0)
    strncpy(error, "not implemented", size - 1);
  return WIO_ERR_INTERNAL;
}

#if defined(VARIANT_DUP_A) || defined(VARIANT_DUP_B)
static const char *const kExtensions[] = {"dup", NULL};
#elif defined(VARIANT_BAD_EXTENSION)
static const char *const kExtensions[] = {".NPZ", NULL};
#elif defined(VARIANT_READER_ONLY) || defined(VARIANT_WRITER_ONLY)
static const char *const kExtensions[] = {"rw", NULL};
#elif defined(VARIANT_SAME_NAME_A)
static const char *const kExtensions[] = {"sna", NULL};
#elif defined(VARIANT_SAME_NAME_B)
static const char *const kExtensions[] = {"snb", NULL};
#else
static const char *const kExtensions[] = {"defective", NULL};
#endif

static const wio_format kFormat = {
    sizeof(wio_format),
#if defined(VARIANT_DUP_A)
    "dup_a",
#elif defined(VARIANT_DUP_B)
    "dup_b",
#elif defined(VARIANT_SAME_NAME_A) || defined(VARIANT_SAME_NAME_B)
    "samename",
#else
    "defective",
#endif
    "a test plugin",
    kExtensions,
#if defined(VARIANT_READER_ONLY)
    WIO_CAP_READ,
#elif defined(VARIANT_WRITER_ONLY)
    WIO_CAP_WRITE,
#else
    WIO_CAP_READ | WIO_CAP_WRITE,
#endif
    WIO_DTYPE_BIT(WIO_DTYPE_F32),
    probe,
#if defined(VARIANT_READER_ONLY)
    NULL,
#else
    write_fn,
#endif
#if defined(VARIANT_NULL_READ) || defined(VARIANT_WRITER_ONLY)
    NULL,
#else
    read_fn,
#endif
};

static const wio_format *const kFormats[] = {&kFormat};

static const wio_plugin kPlugin = {
#if defined(VARIANT_SMALL_STRUCT)
    8, /* claims to end right after abi_version */
#else
    sizeof(wio_plugin),
#endif
#if defined(VARIANT_FUTURE_ABI)
    WEIGHTIO_ABI_VERSION + 98,
#else
    WEIGHTIO_ABI_VERSION,
#endif
#if defined(VARIANT_DUP_A)
    "dup_a",
#elif defined(VARIANT_DUP_B)
    "dup_b",
#else
    "defective",
#endif
    "0.0.1",
    kFormats,
    1,
    NULL,
};

#if defined(VARIANT_NO_ENTRY)
/* Exports a different name: not a weightio plugin. */
WEIGHTIO_PLUGIN_EXPORT const wio_plugin *some_other_entry(void) {
  return &kPlugin;
}
#else
WEIGHTIO_PLUGIN_EXPORT const wio_plugin *weightio_plugin_entry(uint32_t host_abi_version) {
  (void)host_abi_version;
#if defined(VARIANT_DECLINES)
  return NULL;
#else
  return &kPlugin;
#endif
}
#endif
