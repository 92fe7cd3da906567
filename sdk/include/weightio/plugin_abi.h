/*
 * weightio plugin ABI (plain C99).
 *
 * A weightio format plugin is a shared object named weightio_<name>.so that
 * exports exactly one symbol, WEIGHTIO_PLUGIN_ENTRY_SYMBOL, returning a
 * pointer to a static wio_plugin descriptor. Everything else a plugin needs
 * (output sink, mapped input bytes, memory for copies, error text buffer) is
 * handed to it by the host, so plugins never touch the file system.
 *
 * Compatibility policy
 * --------------------
 * - Every struct starts with `struct_size` (sizeof the struct as the side
 *   that filled it was compiled). Structs only ever grow by appending fields;
 *   each appended field is marked "added in ABI N". A reader of a struct
 *   reads a field only when `struct_size` covers it (WIO_HAS_FIELD).
 *   Fields are appended in 8-byte units (a narrower field comes with explicit
 *   padding), so that a struct never gains tail padding that struct_size
 *   would count as a field.
 * - wio_plugin.abi_version is the WEIGHTIO_ABI_VERSION the plugin was built
 *   with. The host refuses a plugin whose abi_version is newer than its own
 *   WEIGHTIO_ABI_VERSION, or older than WEIGHTIO_ABI_MIN_VERSION, with an
 *   error naming the plugin file. Older plugins within that range load, and
 *   the host reads only the fields their struct_size holds.
 * - Enum values and status codes are never renumbered; new ones are appended.
 * - No C++ exception, STL type or memory allocated by one side and freed by
 *   the other crosses this boundary. Strings passed in are borrowed for the
 *   duration of the call unless stated otherwise.
 *
 * Threading: the host may call a plugin's read, write and probe functions
 * concurrently from several threads on different requests; plugins must not
 * keep mutable global state. The host's callbacks (the sink's functions, and
 * the read request's alloc, alloc_for, wants, emit_tensor, emit_metadata,
 * emit_value, progress and warn) may be called only from the thread that
 * entered read or write, never concurrently, and never after that call
 * returned; a plugin's worker threads hand their results to that thread.
 *
 * Lifetime: the entry function must not start threads or acquire resources
 * (it may run for a library that is then refused). The host keeps plugins
 * loaded for the life of the process, so shutdown, called once after every
 * other call has returned, may never be called at all.
 */
#ifndef WEIGHTIO_PLUGIN_ABI_H
#define WEIGHTIO_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes, and the oldest one a host built from it
 * still loads. */
#define WEIGHTIO_ABI_VERSION 3u
#define WEIGHTIO_ABI_MIN_VERSION 1u

/* Name of the single exported entry function (see wio_plugin_entry_fn). */
#define WEIGHTIO_PLUGIN_ENTRY_SYMBOL "weightio_plugin_entry"

/* True when a struct filled by the other side (whose first member is
 * struct_size) is large enough to contain `field`. */
#define WIO_HAS_FIELD(ptr, type, field)                                                            \
  ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

#if defined(_WIN32)
#define WEIGHTIO_PLUGIN_EXPORT __declspec(dllexport)
#else
#define WEIGHTIO_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------- status */

/* Every plugin function that can fail returns one of these. On failure it
 * also writes a NUL-terminated UTF-8 message (truncated to fit) into the
 * host's error buffer. */
typedef enum wio_status {
  WIO_OK = 0,
  WIO_ERR_INVALID_FILE = 1,       /* input malformed, fails validation/CRC */
  WIO_ERR_UNSUPPORTED_DTYPE = 2,  /* a tensor's dtype the format can't hold */
  WIO_ERR_UNSUPPORTED_OPTION = 3, /* an option the format can't honour */
  WIO_ERR_IO = 4,                 /* the sink failed (disk full, ...) */
  WIO_ERR_CANCELLED = 5,          /* a progress callback asked to stop */
  WIO_ERR_INTERNAL = 6,           /* a bug, out of memory, anything else */
  /* Added in ABI 3: a file, or what a save was given, is over a limit the
   * format (or the host, through wio_read_limits) sets. The message is
   * phrased "<what> <value> is over the limit <limit> (<field>)" and ends
   * with the limit's name in parentheses (a wio_read_limits or
   * wio_write_limits field, or a name of the format's own): the host hands
   * that name to callers as the error's limit. Reported like
   * WIO_ERR_INVALID_FILE when loading and WIO_ERR_UNSUPPORTED_OPTION when
   * saving, so hosts catch it where they caught those. */
  WIO_ERR_LIMIT = 7
} wio_status;

/* ---------------------------------------------------------------- dtypes */

/* Element types. Values are fixed forever (stored as int32_t in structs).
 * Names follow safetensors; C128 is numpy's complex128. Sub-byte types (F4,
 * F6_*) are packed: a tensor of n elements holds ceil(n * bits / 8) bytes
 * and must end on a byte boundary. */
typedef enum wio_dtype {
  WIO_DTYPE_BOOL = 0,
  WIO_DTYPE_U8 = 1,
  WIO_DTYPE_I8 = 2,
  WIO_DTYPE_U16 = 3,
  WIO_DTYPE_I16 = 4,
  WIO_DTYPE_U32 = 5,
  WIO_DTYPE_I32 = 6,
  WIO_DTYPE_U64 = 7,
  WIO_DTYPE_I64 = 8,
  WIO_DTYPE_F16 = 9,
  WIO_DTYPE_BF16 = 10,
  WIO_DTYPE_F32 = 11,
  WIO_DTYPE_F64 = 12,
  WIO_DTYPE_C64 = 13,
  WIO_DTYPE_C128 = 14,
  WIO_DTYPE_F8_E4M3 = 15,
  WIO_DTYPE_F8_E5M2 = 16,
  WIO_DTYPE_F8_E8M0 = 17,
  WIO_DTYPE_F8_E4M3FNUZ = 18,
  WIO_DTYPE_F8_E5M2FNUZ = 19,
  WIO_DTYPE_F4 = 20,
  WIO_DTYPE_F6_E2M3 = 21,
  WIO_DTYPE_F6_E3M2 = 22,
  WIO_DTYPE_COUNT_V1 = 23, /* number of dtypes in ABI 1 */
  /* Added in ABI 2: a block-quantized storage type declared by a plugin
   * (wio_block_type); the tensor's `block_type` field names it. A tensor of
   * such a type has a logical shape in elements; its innermost dimension is
   * a multiple of block_elements and it holds
   * numel / block_elements * block_bytes bytes. */
  WIO_DTYPE_BLOCK = 255
} wio_dtype;

/* Bit for dtype d in a dtype mask (wio_format.write_dtypes). A 64-bit mask:
 * dtypes beyond 63, should there ever be any, will be declared by an
 * appended field. */
#define WIO_DTYPE_BIT(d) (UINT64_C(1) << (d))

/* --------------------------------------------------------------- strings */

/* A borrowed UTF-8 string with explicit length (names may contain any
 * character a format allows, including NUL). */
typedef struct wio_str {
  const char *data;
  size_t size;
} wio_str;

typedef struct wio_kv {
  wio_str key;
  wio_str value;
} wio_kv;

/* ------------------------------------------------- typed metadata (ABI 2) */

/* Kinds of metadata value. Widths and signedness are kept exactly as a file
 * stored them, so a round trip through a format that holds them is exact. */
typedef enum wio_value_type {
  WIO_VALUE_STRING = 0, /* UTF-8 */
  WIO_VALUE_BOOL = 1,
  WIO_VALUE_U8 = 2,
  WIO_VALUE_I8 = 3,
  WIO_VALUE_U16 = 4,
  WIO_VALUE_I16 = 5,
  WIO_VALUE_U32 = 6,
  WIO_VALUE_I32 = 7,
  WIO_VALUE_U64 = 8,
  WIO_VALUE_I64 = 9,
  WIO_VALUE_F32 = 10,
  WIO_VALUE_F64 = 11,
  WIO_VALUE_ARRAY = 12,
  WIO_VALUE_COUNT = 13
} wio_value_type;

/* Bit for value type t in wio_format.metadata_types. */
#define WIO_VALUE_BIT(t) (UINT32_C(1) << (t))
/* Arrays nest at most this deep (an array of scalars has depth 1); the host
 * refuses deeper values from a file or a caller. */
#define WIO_MAX_VALUE_DEPTH 32

/* One typed value. Borrowed: everything it points to belongs to the side
 * that made it and is valid for the duration of the call it is passed in. */
typedef struct wio_value {
  int32_t type;      /* wio_value_type */
  int32_t item_type; /* WIO_VALUE_ARRAY: the type of every item */
  uint64_t count;    /* WIO_VALUE_ARRAY: number of items; else 0 */
  union {
    uint64_t u;  /* BOOL (0 or 1), U8, U16, U32, U64 */
    int64_t i;   /* I8, I16, I32, I64 */
    float f32;   /* F32 (kept as float, so NaN payloads survive) */
    double f64;  /* F64 */
    wio_str str; /* STRING */
    /* ARRAY: `count` items. Numeric and BOOL items are packed in the host's
     * byte order at their own width (BOOL as one byte, 0 or 1); STRING
     * items are wio_str; ARRAY items are wio_value (each of type ARRAY). */
    const void *items;
  } as;
} wio_value;

typedef struct wio_metadata {
  wio_str key;
  wio_value value;
} wio_metadata;

/* ------------------------------------------- block-quantized types (ABI 2) */

/* A storage type a plugin defines, declared as data in wio_format. Its
 * geometry is three numbers: elements per block (block_elements), bytes per
 * block (block_bytes) and the alignment a zero-copy view needs (alignment).
 * Two plugins may declare one name only with the same geometry, all three
 * alike; the host refuses the second, naming both and both geometries. */
typedef struct wio_block_type {
  uint32_t struct_size;
  uint32_t block_elements; /* logical elements per block, >= 1 */
  uint64_t block_bytes;    /* bytes per block, >= 1 */
  /* Namespaced, e.g. "ggml.Q4_0": letters, digits, '_', '-', '.', with at
   * least one '.' that is neither first nor last; at most 64 bytes. */
  const char *name;
  /* Alignment a view of such a tensor needs (a power of two, 1 = none). */
  uint64_t alignment;
} wio_block_type;

/* --------------------------------------------------- format options (ABI 2) */

typedef enum wio_option_type {
  WIO_OPTION_BOOL = 0,  /* "true" / "false" */
  WIO_OPTION_INT = 1,   /* decimal, within [min, max] */
  WIO_OPTION_STRING = 2 /* one of `choices`, or any string when NULL */
} wio_option_type;

/* wio_option_decl.flags: when the option applies. */
#define WIO_OPTION_SAVE (1u << 0)
#define WIO_OPTION_LOAD (1u << 1)

/* An option a format declares. The host validates what callers give
 * (unknown name, wrong type, out of range: refused before the plugin runs,
 * listing the valid ones) and passes every declared option of the
 * operation to the plugin as text in canonical form (BOOL "true"/"false",
 * INT decimal), defaults filled in. */
typedef struct wio_option_decl {
  uint32_t struct_size;
  uint32_t flags;             /* WIO_OPTION_SAVE and/or WIO_OPTION_LOAD */
  const char *name;           /* lowercase letters, digits, '_', at most 64 bytes */
  const char *description;    /* one line for `weightio plugins` */
  int32_t type;               /* wio_option_type */
  uint32_t reserved;          /* 0 */
  const char *default_value;  /* canonical text, valid for the option */
  const char *const *choices; /* WIO_OPTION_STRING: NULL-terminated, or NULL */
  int64_t min;                /* WIO_OPTION_INT: inclusive range */
  int64_t max;
} wio_option_decl;

/* ------------------------------------------------- write limits (ABI 2) */

/* wio_write_limits.flags */
#define WIO_LIMIT_NO_ZERO_DIMS (1u << 0)       /* no dimension may be 0 */
#define WIO_LIMIT_NO_ZERO_OUTER_DIMS (1u << 1) /* only the innermost may be 0 */

/* What a format's writer can hold; the host refuses a save that exceeds it
 * before the sink receives a byte (0 = no limit). */
typedef struct wio_write_limits {
  uint32_t struct_size;
  uint32_t flags;    /* WIO_LIMIT_* */
  uint32_t min_ndim; /* e.g. 1 for a format without scalars */
  uint32_t max_ndim;
  uint64_t max_name_bytes;
  uint64_t max_tensors;
  uint64_t max_metadata_value_bytes; /* a string, or one array's items */
} wio_write_limits;

/* ---------------------------------------------------------------- writer */

/* One tensor to write: C-contiguous, little-endian bytes owned by the host,
 * valid for the duration of the write call. */
typedef struct wio_tensor_in {
  uint32_t struct_size;
  int32_t dtype; /* wio_dtype */
  wio_str name;
  uint32_t ndim;
  const int64_t *shape; /* ndim entries, each >= 0 */
  const void *data;
  uint64_t nbytes; /* checked by the host against shape and dtype */
  /* Added in ABI 2: dtype == WIO_DTYPE_BLOCK: the name of a block type the
   * format declared. Never set for plugins that declare none. */
  wio_str block_type;
} wio_tensor_in;

typedef struct wio_iovec {
  const void *data;
  size_t size;
} wio_iovec;

/* The host's output. Writes are sequential from offset 0 (write, writev);
 * pwrite patches bytes already written (e.g. a header reserved up front).
 * Each function returns WIO_OK or a status; on failure the host keeps the
 * detailed reason itself, so a plugin just returns the status it got. */
typedef struct wio_sink {
  uint32_t struct_size;
  void *ctx;
  int32_t (*write)(void *ctx, const void *data, size_t size);
  int32_t (*writev)(void *ctx, const wio_iovec *iov, size_t count);
  int32_t (*pwrite)(void *ctx, uint64_t offset, const void *data, size_t size);
  /* Bytes written so far (the offset of the next sequential write). */
  uint64_t (*position)(void *ctx);
  /* Report progress in bytes of tensor data; returns WIO_ERR_CANCELLED when
   * the host wants the plugin to stop (it must then return that status). */
  int32_t (*progress)(void *ctx, uint64_t done, uint64_t total);
  /* Added in ABI 2: a non-fatal note for the caller ("metadata key dropped").
   * The host copies the message; the save goes on. */
  void (*warn)(void *ctx, wio_str message);
} wio_sink;

/* Flags for wio_write_request.flags. ABI 1 only: an ABI-2 host passes
 * npz's choice as its `zip64` option and still sets this bit for ABI-1
 * plugins. */
#define WIO_WRITE_FORCE_ZIP64                                                                      \
  (1u << 0) /* container formats: use 64-bit                                                       \
               records even when not needed */

typedef struct wio_write_request {
  uint32_t struct_size;
  uint32_t flags;
  const wio_tensor_in *tensors; /* in the order the host was given them */
  size_t tensor_count;
  const wio_kv *metadata; /* only when the format declares metadata */
  size_t metadata_count;
  /* 0 = stored (uncompressed), 1..9 = deflate-like level, -1 = the format's
   * default compression. Only non-zero when the format declares it. */
  int32_t compression_level;
  const wio_sink *sink;
  /* Added in ABI 2. Every metadata entry with its type, in the caller's
   * order (`metadata` above still carries the string-valued ones). Only
   * types the format declared in metadata_types. */
  const wio_metadata *values;
  size_t value_count;
  /* Every save option the format declared, validated, in canonical text,
   * defaults filled in, in declaration order. */
  const wio_kv *options;
  size_t option_count;
} wio_write_request;

/* ---------------------------------------------------------------- reader */

/* Where an emitted tensor's bytes are. */
typedef enum wio_storage {
  WIO_STORAGE_MAPPED = 0, /* `offset` bytes into the input; the host hands
                             out a view if aligned, else copies */
  WIO_STORAGE_BUFFER = 1, /* `buffer`, a block from wio_read_request.alloc */
  /* Added in ABI 2: */
  WIO_STORAGE_DECODE = 2, /* the host calls the format's `decode` later, on
                             its own threads, to produce the bytes into a
                             buffer it owns (or the caller's) */
  WIO_STORAGE_NONE = 3,   /* no bytes: only with WIO_READ_DESCRIBE */
  /* Added in ABI 2, only to a host that sets WIO_READ_DEFER: the bytes are
   * where MAPPED bytes are (`offset`, `nbytes`; the host views or copies
   * them), but must first pass the format's check, which the host runs on
   * its own threads: it calls `decode` with dest NULL and dest_size 0
   * (first_unit 0, unit_count 1; `decode_tag` as emitted) and fails the
   * load with decode's error. A check may read anywhere in the input. */
  WIO_STORAGE_CHECKED = 4,
  /* Added in ABI 3: elements of a declared storage (storage_id,
   * storage_offset, storage_size), gathered by the host on its threads:
   * element i (a multi-index over `shape`) is the storage's element
   * element_offset + sum(i_k * strides[k]). Sizes, strides and offsets count
   * elements of `dtype`, which must have whole-byte elements (not F4/F6,
   * not WIO_DTYPE_BLOCK). A tensor with elements needs element_offset +
   * sum((shape_k - 1) * strides_k) < storage_size / element size, an empty
   * one element_offset <= that count; the host refuses others. `offset` is
   * unused (0) and `nbytes` is the gathered, C-contiguous size. */
  WIO_STORAGE_STRIDED = 5
} wio_storage;

/* wio_tensor_out.tensor_flags (added in ABI 3). */
/* The source elements are in the other byte order (a big-endian file): the
 * host swaps each element (each half of a complex one) as it places the
 * tensor, so MAPPED bytes are then copied, never viewed. MAPPED and
 * STRIDED tensors only. */
#define WIO_TENSOR_BYTE_SWAP (1u << 0)

/* One tensor a reader found: C-contiguous, little-endian. Borrowed for the
 * duration of the emit_tensor call (the host copies name and shape). */
typedef struct wio_tensor_out {
  uint32_t struct_size;
  int32_t dtype; /* wio_dtype */
  wio_str name;
  uint32_t ndim;
  const int64_t *shape;
  int32_t storage; /* wio_storage */
  uint64_t offset; /* WIO_STORAGE_MAPPED: offset into the input bytes */
  void *buffer;    /* WIO_STORAGE_BUFFER: from alloc; ownership passes to
                      the host on a successful emit_tensor. Added in ABI 2:
                      WIO_STORAGE_DECODE to a host that sets
                      WIO_READ_DEFER: NULL, or a block from alloc (so the
                      host's allocation limit applies while the reader can
                      still name the tensor) that decode fills. */
  uint64_t nbytes; /* checked by the host against shape, dtype and input */
  /* Added in ABI 2. dtype == WIO_DTYPE_BLOCK: a block type name the format
   * declared. */
  wio_str block_type;
  /* WIO_STORAGE_DECODE: `decode` reads `source_size` bytes at `offset` in
   * the input (the host checks they lie inside it) and writes `nbytes`.
   * `decode_tag` is the plugin's own, passed back unchanged. The output is
   * made of units of `unit_bytes` (0 = the whole tensor is one unit), each
   * made from `source_unit_bytes` of the source independently of the
   * others, so the host may split a large tensor across threads. */
  uint64_t source_size;
  uint64_t decode_tag;
  uint64_t unit_bytes;
  uint64_t source_unit_bytes;
  /* Added in ABI 2 (split checks): 1 = the format's check of this tensor
   * (a WIO_STORAGE_CHECKED tensor's, or one a WIO_STORAGE_DECODE tensor's
   * decode makes, such as a checksum over its source) can run in parts, on
   * several threads at once: see wio_check_part. A CHECKED tensor is then
   * split at units of `unit_bytes` (== `source_unit_bytes`, dividing
   * `nbytes`), a DECODE tensor as its decode is. 0 = the check runs whole:
   * in one call for CHECKED, inside the decode calls for DECODE. A host
   * without split checks ignores it, so a reader may always set it. */
  uint32_t split_check;
  uint32_t reserved2; /* 0 */
  /* Added in ABI 3: the storage the tensor's bytes belong to, declared with
   * the tensor. storage_id 0 = none. Tensors that give one id share one
   * storage (tied weights, views of one buffer): every tensor giving an id
   * gives the same byte range, which lies inside the input, and a MAPPED
   * tensor's bytes lie inside its storage's range. The host reports the id
   * (`inspect --json`'s "storage") and gathers STRIDED tensors from it. A
   * WIO_STORAGE_NONE tensor (describe-only) may declare its storage too. */
  uint64_t storage_id;
  uint64_t storage_offset; /* the storage's first byte in the input */
  uint64_t storage_size;   /* its bytes */
  /* WIO_STORAGE_STRIDED: ndim strides in elements (each >= 0) and the first
   * element; borrowed for the emit_tensor call. */
  const int64_t *strides;
  uint64_t element_offset;
  uint32_t tensor_flags; /* WIO_TENSOR_* */
  uint32_t reserved4;    /* 0 */
} wio_tensor_out;

/* Limits the host asks a reader to enforce (0 = no limit). */
typedef struct wio_read_limits {
  uint32_t struct_size;
  uint64_t max_header_bytes; /* a format's header / directory */
  uint64_t max_tensors;
  uint32_t max_ndim;
  uint64_t max_name_bytes;
} wio_read_limits;

/* Flags for wio_read_request.flags. */
#define WIO_READ_VERIFY                                                                            \
  (1u << 0) /* check everything (every CRC), even of                                               \
               tensors the host did not ask for */
/* Added in ABI 2: the host wants names, types and shapes only (`inspect`):
 * the reader may emit every tensor as WIO_STORAGE_NONE and decode, inflate
 * or check nothing. Older readers ignore it; the host drops their bytes. */
#define WIO_READ_DESCRIBE (1u << 1)
/* Added in ABI 2: the host runs deferred work in parallel and accepts
 * WIO_STORAGE_CHECKED tensors and DECODE tensors with a `buffer`. A reader
 * may then hand its per-tensor work (checksums, copies, inflation) to the
 * host's threads through `decode`; without the flag it must do that work
 * itself. When read fails, the host first runs the checks and decodes of
 * the tensors emitted before the failure and reports the earliest of their
 * failures instead, so errors come in file order as a serial reader's. */
#define WIO_READ_DEFER (1u << 2)

typedef struct wio_read_request {
  uint32_t struct_size;
  uint32_t flags;
  const uint8_t *data; /* the whole input, read-only; valid during the call
                          (and afterwards for MAPPED tensors) */
  uint64_t size;
  const wio_read_limits *limits;
  void *ctx;
  /* Memory for tensors that cannot be views: `size` bytes aligned to
   * `alignment` (a power of two <= 4096). Returns NULL when the host refuses
   * (over a limit, out of memory): the plugin then fails with
   * WIO_ERR_INTERNAL or WIO_ERR_INVALID_FILE. Blocks not passed to a
   * successful emit_tensor are released by the host after the read. */
  void *(*alloc)(void *ctx, uint64_t size, uint64_t alignment);
  /* Whether the host wants this tensor (a name filter). A plugin may skip
   * the work of decoding tensors it does not want. Returns 1 or 0. */
  int32_t (*wants)(void *ctx, wio_str name);
  /* Hand a tensor to the host, in the order the data lies in the file.
   * Returns WIO_OK, or a status the plugin must return (the host kept the
   * reason: a duplicate name, a bad shape, a view outside the input). */
  int32_t (*emit_tensor)(void *ctx, const wio_tensor_out *tensor);
  /* Hand one metadata entry (string -> string) to the host. */
  int32_t (*emit_metadata)(void *ctx, wio_str key, wio_str value);
  /* As wio_sink.progress, in bytes of input processed. */
  int32_t (*progress)(void *ctx, uint64_t done, uint64_t total);
  /* Added in ABI 2. */
  /* Every load option the format declared, as for writing. */
  const wio_kv *options;
  size_t option_count;
  /* Threads the host will use for decode (a reader need start none). */
  uint32_t threads;
  uint32_t reserved; /* 0 */
  /* Hand one typed metadata entry to the host, in file order. */
  int32_t (*emit_value)(void *ctx, wio_str key, const wio_value *value);
  /* A non-fatal note for the caller, as wio_sink.warn. */
  void (*warn)(void *ctx, wio_str message);
  /* As alloc, naming the tensor the memory is for (the host may hand out
   * the caller's own buffer for it). */
  void *(*alloc_for)(void *ctx, wio_str tensor, uint64_t size, uint64_t alignment);
  /* Added in ABI 3. */
  /* WIO_DEQUANTIZE_NONE, or the wio_dtype (one in the format's
   * dequantize_dtypes) that block-quantized tensors are to be emitted as.
   * Absent from an older host's request: read it with WIO_HAS_FIELD. */
  int32_t dequantize;
  uint32_t reserved3; /* 0 */
} wio_read_request;

/* wio_read_request.dequantize: keep block-quantized tensors as they are. */
#define WIO_DEQUANTIZE_NONE (-1)

/* ------------------------------------------------------- decode (ABI 2) */

/* Added in ABI 2 (split checks). A tensor emitted with split_check is
 * checked in parts: each decode call for a part (units [first_unit,
 * first_unit + unit_count); dest NULL for a CHECKED tensor) gets
 * `check_part`, with first_unit and unit_count filled in, and stores in
 * `result` whatever the format needs to finish the check later (a CRC-32 of
 * the part's bytes, say); it may fail at once if the part alone shows the
 * check fails. Once every part succeeded, the host makes one last call with
 * dest NULL, check_part NULL and `check_parts`: every part's, in order; the
 * format combines them and fails the tensor if the check fails. If a part
 * fails, the last call is not made. Calls for one tensor may run on
 * different threads; the last call runs after all its parts returned. */
typedef struct wio_check_part {
  uint64_t first_unit;
  uint64_t unit_count;
  uint64_t result; /* the format's own */
} wio_check_part;

/* One call of wio_format.decode: produce units [first_unit, first_unit +
 * unit_count) of a WIO_STORAGE_DECODE tensor into `dest`, or, with dest
 * NULL, check a WIO_STORAGE_CHECKED tensor (or finish a split check, see
 * wio_check_part). Called by host threads, concurrently, after or during
 * the read that emitted the tensor, with the same input bytes. */
typedef struct wio_decode_request {
  uint32_t struct_size;
  uint32_t reserved;
  const uint8_t *data; /* the whole input, as in the read */
  uint64_t size;
  /* The tensor as emitted. */
  int32_t dtype; /* wio_dtype of the output */
  uint32_t ndim;
  const int64_t *shape;
  wio_str name;
  wio_str block_type;
  uint64_t offset; /* source, in the input */
  uint64_t source_size;
  uint64_t decode_tag;
  uint64_t nbytes; /* of the whole output */
  uint64_t unit_bytes;
  uint64_t source_unit_bytes;
  /* The part wanted; with unit_bytes == 0, always 0 and 1. */
  uint64_t first_unit;
  uint64_t unit_count;
  void *dest;            /* where the part's first byte goes */
  uint64_t dest_size;    /* bytes of the part */
  const wio_kv *options; /* the read's load options */
  size_t option_count;
  /* Added in ABI 2 (split checks), only for a tensor emitted with
   * split_check, else NULL and 0: see wio_check_part. */
  wio_check_part *check_part;        /* a part's call: its result goes here */
  const wio_check_part *check_parts; /* the last call: every part's, in order */
  size_t check_part_count;
} wio_decode_request;

/* ---------------------------------------------------------------- format */

typedef enum wio_probe_result {
  WIO_PROBE_NO = 0,
  WIO_PROBE_YES = 1,
  WIO_PROBE_UNSURE = 2
} wio_probe_result;

/* Probe contract. The host calls probe with the first min(file size,
 * probe_bytes) bytes of a file (probe_bytes is declared by the format; 0
 * means WIO_PROBE_DEFAULT_BYTES; at most WIO_PROBE_MAX_BYTES). probe must be
 * cheap, pure (no I/O, no allocation, no global state) and must not fail:
 *   YES    - these bytes are this format's; the host reads the file with
 *            this format when its extension names no readable format.
 *   NO     - not this format's.
 *   UNSURE - cannot tell from these bytes (use it only when given fewer
 *            bytes than the format needs): the host tries no reader on an
 *            UNSURE alone, and says so in its error.
 * Two formats of different plugins answering YES for one file is a
 * conflict the caller settles (prefer_plugin, the CLI's --plugin). */
#define WIO_PROBE_DEFAULT_BYTES 4096u
#define WIO_PROBE_MAX_BYTES 65536u

/* wio_format.caps */
#define WIO_CAP_READ (1u << 0)
#define WIO_CAP_WRITE (1u << 1)
#define WIO_CAP_METADATA (1u << 2)    /* holds metadata (strings unless */
                                      /* metadata_types says more) */
#define WIO_CAP_COMPRESSION (1u << 3) /* honours compression_level */
/* Added in ABI 2: a set of shards of this format describes itself, as
 * llama.cpp's gguf-split writes GGUF sets, and needs no index file. Shard i
 * of N (`model-0000i-of-0000N.<ext>`) holds the metadata values split.no
 * (UINT16, i - 1), split.count (UINT16, N) and split.tensors.count (INT32,
 * the set's tensor count); the first shard also holds the checkpoint's
 * metadata. The host writes these keys on a sharded save (the format must
 * hold UINT16 and INT32 values), finds a set's shards by these names and
 * checks the keys on load, and leaves the split.* keys out of the loaded
 * set's metadata. */
#define WIO_CAP_SPLIT_KEYS (1u << 4)

typedef struct wio_format {
  uint32_t struct_size;
  const char *name;        /* short, lowercase: "npz", "safetensors" */
  const char *description; /* one line for `weightio plugins` */
  /* NULL-terminated list of extensions: lowercase, without the dot. Data,
   * so a host can list them without calling plugin code. */
  const char *const *extensions;
  uint32_t caps;         /* WIO_CAP_* */
  uint64_t write_dtypes; /* WIO_DTYPE_BIT mask of dtypes write accepts */
  /* Look at up to `size` leading bytes. Never fails, never allocates. */
  int32_t (*probe)(const uint8_t *head, size_t size);
  /* Required when caps has WIO_CAP_WRITE / WIO_CAP_READ, else NULL. The
   * error buffer receives a NUL-terminated message on failure. */
  int32_t (*write)(const wio_write_request *request, char *error, size_t error_size);
  int32_t (*read)(const wio_read_request *request, char *error, size_t error_size);
  /* Added in ABI 2. */
  /* WIO_VALUE_BIT mask of the metadata value types it holds (with
   * WIO_CAP_METADATA; ARRAY means arrays of those types). 0 = strings only,
   * the ABI-1 meaning. */
  uint32_t metadata_types;
  /* Leading bytes probe needs; see the probe contract above. */
  uint32_t probe_bytes;
  /* Block types the format defines and holds: block_type_count pointers. */
  const wio_block_type *const *block_types;
  size_t block_type_count;
  /* Options for saving and loading: option_count pointers. */
  const wio_option_decl *const *options;
  size_t option_count;
  /* What the writer can hold; NULL = no limits. */
  const wio_write_limits *write_limits;
  /* Required when read emits WIO_STORAGE_DECODE tensors. Thread-safe,
   * reentrant; the error buffer as for read. */
  int32_t (*decode)(const wio_decode_request *request, char *error, size_t error_size);
  /* Added in ABI 3. */
  /* How deep the metadata's arrays may nest (with WIO_VALUE_ARRAY in
   * metadata_types): 1 = flat arrays only (of the declared item types), 2 =
   * arrays of flat arrays, ...; 0 = any depth up to WIO_MAX_VALUE_DEPTH, as
   * before ABI 3. The host never writes a deeper value (the save is refused
   * naming the key), `weightio convert` drops one with a warning, and the
   * conformance kit sends none. */
  uint32_t max_array_depth;
  uint32_t reserved3; /* 0 */
  /* WIO_DTYPE_BIT mask of the dtypes read can turn the format's block
   * types into, when wio_read_request.dequantize asks for one of them. 0 =
   * it dequantizes nothing: the host refuses such a load, naming the
   * format, before read runs. */
  uint64_t dequantize_dtypes;
  /* NULL-terminated list of extensions, among `extensions`, that other
   * formats' files carry too ("bin"): the content decides. For a file with
   * such an extension the host asks every readable format's probe first and
   * reads it with the one that answers YES; only when none does, with the
   * format that claims the extension. Saving to it writes this format. NULL
   * = none. */
  const char *const *shared_extensions;
  /* NULL-terminated list of file-name patterns (lowercase, fnmatch: `*`
   * and `?`) that a folder load counts as this format's weights files
   * ("pytorch_model*.bin", so optimizer.pt beside a model is not one). NULL
   * = every file with one of `extensions`. A format that declares them
   * yields to the others in a folder: a folder that holds another format's
   * checkpoint too loads that one, with a warning naming what it left. */
  const char *const *folder_names;
} wio_format;

/* ---------------------------------------------------------------- plugin */

typedef struct wio_plugin {
  uint32_t struct_size;
  uint32_t abi_version;             /* WEIGHTIO_ABI_VERSION the plugin was built with */
  const char *name;                 /* e.g. "npz" */
  const char *version;              /* the plugin's own version, e.g. "1.0.0" */
  const wio_format *const *formats; /* format_count pointers */
  size_t format_count;
  void (*shutdown)(void); /* optional: called once before unloading */
} wio_plugin;

/* The exported entry. `host_abi_version` is the host's WEIGHTIO_ABI_VERSION,
 * so a plugin may adapt or decline (return NULL). The descriptor must stay
 * valid until the library is unloaded. */
typedef const wio_plugin *(*wio_plugin_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* WEIGHTIO_PLUGIN_ABI_H */
