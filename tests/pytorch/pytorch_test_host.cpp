#include "pytorch_test_host.hpp"

#include "read_options.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace pttest {

namespace {

struct Session {
  ReadResult out;
};

int32_t emit_cb(void *ctx, const wio_tensor_out *t) {
  auto &s = *static_cast<Session *>(ctx);
  Emitted e;
  e.name.assign(t->name.data, t->name.size);
  e.dtype = t->dtype;
  e.shape.assign(t->shape, t->shape + t->ndim);
  e.storage = t->storage;
  e.offset = t->offset;
  e.nbytes = t->nbytes;
  e.storage_id = t->storage_id;
  e.storage_offset = t->storage_offset;
  e.storage_size = t->storage_size;
  if (t->storage == WIO_STORAGE_STRIDED)
    e.strides.assign(t->strides, t->strides + t->ndim);
  e.element_offset = t->element_offset;
  e.flags = t->tensor_flags;
  s.out.tensors.push_back(std::move(e));
  return WIO_OK;
}

int32_t value_cb(void *ctx, wio_str key, const wio_value *v) {
  auto &s = *static_cast<Session *>(ctx);
  Value out;
  out.type = v->type;
  switch (v->type) {
  case WIO_VALUE_I64:
    out.i = v->as.i;
    break;
  case WIO_VALUE_F64:
    out.f = v->as.f64;
    break;
  case WIO_VALUE_BOOL:
    out.b = v->as.u != 0;
    break;
  case WIO_VALUE_STRING:
    out.s.assign(v->as.str.data, v->as.str.size);
    break;
  default:
    ADD_FAILURE() << "unexpected value type " << v->type;
  }
  if (!s.out.values.emplace(std::string(key.data, key.size), out).second)
    ADD_FAILURE() << "value emitted twice: " << std::string(key.data, key.size);
  return WIO_OK;
}

int32_t metadata_cb(void *, wio_str, wio_str) {
  ADD_FAILURE() << "the reader used the ABI-1 metadata channel";
  return WIO_OK;
}
void warn_cb(void *ctx, wio_str m) {
  static_cast<Session *>(ctx)->out.warnings.emplace_back(m.data, m.size);
}
int32_t wants_cb(void *, wio_str) {
  return 1;
}
int32_t progress_cb(void *, uint64_t, uint64_t) {
  return WIO_OK;
}
void *alloc_cb(void *, uint64_t, uint64_t) {
  ADD_FAILURE() << "the reader asked for memory";
  return nullptr;
}

} // namespace

ReadResult read_checkpoint(const std::vector<uint8_t> &file, const HostOptions &host) {
  // Every declared option, defaults filled in, as the host passes them.
  std::vector<std::pair<std::string, std::string>> opts;
  const auto decls = weightio::pytorch::read_option_decls();
  for (size_t i = 0; i < weightio::pytorch::read_option_count(); ++i) {
    std::string name = decls[i]->name, value = decls[i]->default_value;
    for (const auto &[k, v] : host.options)
      if (k == name)
        value = v;
    opts.emplace_back(name, value);
  }
  std::vector<wio_kv> kv;
  for (const auto &[k, v] : opts)
    kv.push_back({{k.data(), k.size()}, {v.data(), v.size()}});

  Session s;
  wio_read_request r{};
  r.struct_size = sizeof r;
  r.flags = host.flags;
  r.data = file.data();
  r.size = file.size();
  r.limits = &host.limits;
  r.ctx = &s;
  r.alloc = alloc_cb;
  r.wants = wants_cb;
  r.emit_tensor = emit_cb;
  r.emit_metadata = metadata_cb;
  r.progress = progress_cb;
  r.options = kv.data();
  r.option_count = kv.size();
  r.threads = 1;
  r.emit_value = value_cb;
  r.warn = warn_cb;
  r.dequantize = WIO_DEQUANTIZE_NONE;
  char buf[4096] = {};
  s.out.status = weightio::sdk::guard(buf, sizeof buf, [&] { weightio::pytorch::read_pytorch(r); });
  s.out.error = buf;
  return std::move(s.out);
}

std::vector<uint8_t> gather(const std::vector<uint8_t> &file, const Emitted &t) {
  const uint64_t elsize = weightio::sdk::dtype_info(t.dtype).bits / 8;
  std::vector<uint8_t> out;
  if (t.storage == WIO_STORAGE_MAPPED) {
    EXPECT_LE(t.offset + t.nbytes, file.size());
    EXPECT_GE(t.offset, t.storage_offset);
    EXPECT_LE(t.offset + t.nbytes, t.storage_offset + t.storage_size);
    out.assign(file.begin() + static_cast<ptrdiff_t>(t.offset),
               file.begin() + static_cast<ptrdiff_t>(t.offset + t.nbytes));
  } else if (t.storage == WIO_STORAGE_STRIDED) {
    uint64_t numel = 1;
    for (int64_t d : t.shape)
      numel *= static_cast<uint64_t>(d);
    std::vector<int64_t> idx(t.shape.size(), 0);
    for (uint64_t n = 0; n < numel; ++n) {
      uint64_t e = t.element_offset;
      for (size_t k = 0; k < idx.size(); ++k)
        e += static_cast<uint64_t>(idx[k] * t.strides[k]);
      EXPECT_LE((e + 1) * elsize, t.storage_size) << t.name;
      const uint8_t *p = file.data() + t.storage_offset + e * elsize;
      out.insert(out.end(), p, p + elsize);
      for (size_t k = idx.size(); k-- > 0;) {
        if (++idx[k] < t.shape[k])
          break;
        idx[k] = 0;
      }
    }
  } else {
    ADD_FAILURE() << "tensor " << t.name << " has storage kind " << t.storage;
  }
  if ((t.flags & WIO_TENSOR_BYTE_SWAP) != 0) {
    const bool complex = t.dtype == WIO_DTYPE_C64 || t.dtype == WIO_DTYPE_C128;
    const uint64_t unit = complex ? elsize / 2 : elsize;
    for (size_t i = 0; i + unit <= out.size(); i += unit)
      std::reverse(out.begin() + static_cast<ptrdiff_t>(i),
                   out.begin() + static_cast<ptrdiff_t>(i + unit));
  }
  return out;
}

} // namespace pttest
