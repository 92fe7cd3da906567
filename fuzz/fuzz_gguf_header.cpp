// The GGUF parser on arbitrary bytes (the whole file). Beyond "no crash, no
// out-of-bounds, no allocation driven by a claimed size", it checks what a
// reader relies on when the parser says yes (every tensor's bytes inside the
// file, aligned, not overlapping, matching its shape and type), decodes the
// dequantizable tensors (arbitrary block bytes through every decoder), and
// writes the file back: what the writer makes must parse to the same
// metadata and tensor infos.
#include "ggml/dequantize.hpp"
#include "gguf_parse.hpp"
#include "gguf_serialize.hpp"
#include "tensor_bytes.hpp"

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace weightio::gguf;

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "gguf parser invariant broken: %s\n", what);
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  File f;
  try {
    f = parse({data, size});
  } catch (const FormatError &) {
    return 0;
  }
  check(is_power_of_two(f.alignment) && f.data_offset % f.alignment == 0, "alignment");
  std::vector<TensorToWrite> back;
  std::vector<std::vector<uint8_t>> swapped;
  for (const auto &t : f.tensors) {
    check(t.type != nullptr && t.ne.size() >= 1 && t.ne.size() <= kMaxDims, "dims");
    check(t.ne[0] % t.type->block_elems == 0, "block multiple");
    check(t.nbytes == t.n_elements / t.type->block_elems * t.type->block_bytes, "nbytes");
    check(t.offset % f.alignment == 0, "offset aligned");
    check(t.nbytes == 0 || (f.data_offset + t.offset + t.nbytes <= size), "inside the file");
    const uint8_t *bytes = data + f.data_offset + t.offset;
    if (t.type->dequantizable && t.n_elements <= (1u << 16)) {
      std::vector<float> out(t.n_elements);
      weightio::gguf::ggml::dequantize(*t.type, bytes, 0, t.n_elements / t.type->block_elems,
                                       out.data(), weightio::gguf::ggml::OutType::f32,
                                       f.byte_order);
    }
    swapped.emplace_back(t.nbytes <= (1u << 20) ? t.nbytes : 0);
    if (!swapped.back().empty())
      copy_as_little_endian(*t.type, f.byte_order, bytes, t.nbytes, swapped.back().data());
    back.push_back({t.name, t.shape, t.type, swapped.back().data(), swapped.back().size()});
  }
  for (size_t i = 0; i < f.tensors.size(); ++i)
    if (swapped[i].size() != f.tensors[i].nbytes)
      return 0; // too big to copy here: skip the write-back
  std::vector<uint8_t> written;
  try {
    write(f.metadata, back, f.alignment, [&](const void *p, size_t n) {
      const auto *b = static_cast<const uint8_t *>(p);
      written.insert(written.end(), b, b + n);
    });
  } catch (const WriteError &e) {
    // The reader takes 64-byte names (the spec), the writer 63 (ggml).
    for (const auto &t : f.tensors)
      if (t.name.size() > kMaxWriteNameBytes)
        return 0;
    std::fprintf(stderr, "write-back refused: %s\n", e.what());
    check(false, "a parsed file could not be written back");
  }
  const File g = parse(written);
  check(g.metadata == f.metadata, "metadata round trip");
  check(g.alignment == f.alignment && g.tensors.size() == f.tensors.size(), "header round trip");
  for (size_t i = 0; i < g.tensors.size(); ++i)
    check(g.tensors[i].name == f.tensors[i].name && g.tensors[i].ne == f.tensors[i].ne &&
              g.tensors[i].type == f.tensors[i].type,
          "tensor info round trip");
  return 0;
}
