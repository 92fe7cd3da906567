// detail::check_descriptor on a plugin descriptor built from the input bytes:
// sizes, ABI versions, counts, strings, capability bits and which function
// pointers are null all come from the fuzzer. The checker must never read
// past what the descriptor declares, and when it says "usable", everything
// the registry then reads must indeed be there.
#include "registry/plugin_library.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Hands out input bytes; zeros once the input is used up.
struct Bytes {
  const uint8_t *p;
  size_t n;
  uint8_t u8() {
    if (n == 0)
      return 0;
    --n;
    return *p++;
  }
  uint32_t u32() {
    return u8() | uint32_t{u8()} << 8 | uint32_t{u8()} << 16 | uint32_t{u8()} << 24;
  }
  uint64_t u64() { return u32() | uint64_t{u32()} << 32; }
  std::string str() { // length-prefixed, at most 255 bytes
    std::string s;
    for (uint8_t len = u8(); len > 0; --len)
      s += static_cast<char>(u8());
    return s;
  }
};

int32_t fake_probe(const uint8_t *, size_t) {
  return WIO_PROBE_NO;
}
int32_t fake_write(const wio_write_request *, char *, size_t) {
  return WIO_ERR_INTERNAL;
}
int32_t fake_read(const wio_read_request *, char *, size_t) {
  return WIO_ERR_INTERNAL;
}
void fake_shutdown() {}

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "descriptor accepted although %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Bytes in{data, size};
  // Strings live in these (stable addresses: reserved up front); each is
  // NUL-terminated, as the ABI requires of C strings.
  std::vector<std::string> strings;
  strings.reserve(4096);
  auto cstr = [&](uint8_t mode) -> const char * {
    if (mode % 5 == 0)
      return nullptr;
    strings.push_back(in.str());
    return strings.back().c_str();
  };

  const size_t format_count = in.u8() % 70; // around kMaxFormats (64)
  std::vector<wio_format> formats(format_count);
  std::vector<std::vector<const char *>> extensions(format_count);
  std::vector<const wio_format *> format_ptrs(format_count);
  for (size_t i = 0; i < format_count; ++i) {
    wio_format &f = formats[i];
    const uint8_t mode = in.u8();
    f.struct_size = mode & 1 ? static_cast<uint32_t>(sizeof(wio_format)) : in.u32() % 128;
    f.name = cstr(in.u8());
    f.description = cstr(in.u8());
    const uint8_t ext_count = in.u8() % 70;
    if (ext_count != 69) {
      for (uint8_t e = 0; e < ext_count; ++e)
        extensions[i].push_back(cstr(in.u8() | 1)); // non-null: a null ends the list
      extensions[i].push_back(nullptr);
      f.extensions = extensions[i].data();
    }
    f.caps = in.u8() & 0x1f;
    f.write_dtypes = mode & 2 ? in.u64() : in.u32();
    f.probe = mode & 4 ? fake_probe : nullptr;
    f.write = mode & 8 ? fake_write : nullptr;
    f.read = mode & 16 ? fake_read : nullptr;
    format_ptrs[i] = mode & 32 ? nullptr : &f;
  }
  wio_plugin p{};
  const uint8_t mode = in.u8();
  p.struct_size = mode & 1 ? static_cast<uint32_t>(sizeof(wio_plugin)) : in.u32() % 128;
  p.abi_version = mode & 2 ? WEIGHTIO_ABI_VERSION : in.u32();
  p.name = cstr(in.u8());
  p.version = cstr(in.u8());
  p.formats = mode & 4 ? nullptr : format_ptrs.data();
  p.format_count = mode & 8 ? in.u64() : format_count;
  if (p.format_count > format_count && p.formats != nullptr)
    p.format_count = format_count; // the ABI can't guard against a lying count
  p.shutdown = mode & 16 ? fake_shutdown : nullptr;

  const std::string why = weightio::detail::check_descriptor(&p);
  if (why.empty()) {
    check(p.abi_version >= WEIGHTIO_ABI_MIN_VERSION && p.abi_version <= WEIGHTIO_ABI_VERSION,
          "the ABI version is out of range");
    check(p.name != nullptr && p.version != nullptr, "a string is null");
    check(p.formats != nullptr && p.format_count > 0, "there are no formats");
    for (size_t i = 0; i < p.format_count; ++i) {
      const wio_format *f = p.formats[i];
      check(f != nullptr && f->name != nullptr && f->extensions != nullptr, "a format is null");
      check(f->probe != nullptr, "probe is null");
      check(!(f->caps & WIO_CAP_READ) || f->read != nullptr, "read is null");
      check(!(f->caps & WIO_CAP_WRITE) || f->write != nullptr, "write is null");
      for (size_t e = 0; f->extensions[e] != nullptr; ++e)
        check(f->extensions[e][0] != '\0' && f->extensions[e][0] != '.', "a bad extension");
    }
  }
  return 0;
}
