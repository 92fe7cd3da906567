#include "../common/count_text.hpp"
#include "element_order.hpp"
#include "member_decode.hpp"
#include "npy_header.hpp"
#include "npz.hpp"
#include "npz_error.hpp"
#include "zip/crc32.hpp"
#include "zip/deflate.hpp"
#include "zip/zip_format.hpp"
#include "zip/zip_probe.hpp"
#include "zip/zip_reader.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

namespace weightio::npz {
using common::count_of;
namespace {

// Bytes inflated (and CRC'd while still in cache) per step.
constexpr uint64_t kChunk = uint64_t{1} << 20;
// Buffers for copies: a cache line, enough for every dtype.
constexpr uint64_t kBufferAlignment = 64;

struct Limits {
  uint64_t max_header_bytes = 0;
  uint64_t max_tensors = 0;
  uint32_t max_ndim = 0;
  uint64_t max_name_bytes = 0;
};

// Every field of wio_read_limits exists since ABI 1.
Limits limits_of(const sdk::ReadContext &ctx) {
  const wio_read_limits &l = ctx.limits();
  return {l.max_header_bytes, l.max_tensors, l.max_ndim, l.max_name_bytes};
}

class MemberReader {
public:
  MemberReader(const sdk::ReadContext &ctx, const Limits &limits, const zip::ZipEntry &e,
               std::string tensor_name, bool wanted, bool defer)
      : ctx_(ctx), limits_(limits), e_(e), name_(std::move(tensor_name)),
        describe_(wanted && ctx.describe_only()), wanted_(wanted && !describe_),
        defer_(defer && wanted_) {}

  void run() {
    if (e_.method == zip::kMethodStored)
      read_stored();
    else
      read_deflated();
  }

private:
  void check_header_size(const NpyPreamble &pre, uint64_t member_size) const {
    if (pre.header_size > member_size)
      refuse(NpzError::npy_header, "the header (" + count_of(pre.header_size, "byte") +
                                       ") runs past the end of the member (" +
                                       count_of(member_size, "byte") + ")");
    if (limits_.max_header_bytes != 0 && pre.header_size > limits_.max_header_bytes)
      sdk::over_limit("npy header bytes", pre.header_size, limits_.max_header_bytes,
                      "max_header_bytes");
  }

  NpyHeader parse_dict(const uint8_t *dict, uint64_t size, uint8_t major) const {
    return parse_npy_dict({dict, static_cast<size_t>(size)}, major, {limits_.max_ndim});
  }

  static void check_data_size(const NpyHeader &h, uint64_t held) {
    if (held != h.data_nbytes)
      refuse(NpzError::data_size,
             "the npy header describes " + count_of(h.data_nbytes, "byte") +
                 " of data but the member holds " + std::to_string(held) +
                 (held < h.data_nbytes ? " (short data)" : " (trailing bytes)"));
  }

  void check_crc(uint32_t computed) const {
    if (computed != e_.crc)
      crc_mismatch(e_.crc, computed);
  }

  uint32_t stored_crc() const {
    zip::Crc32 crc;
    const uint8_t *member = ctx_.data() + e_.data_offset;
    for (uint64_t off = 0; off < e_.compressed_size; off += kChunk)
      crc.update(member + off, static_cast<size_t>(std::min(kChunk, e_.compressed_size - off)));
    return crc.value();
  }

  // The member's header; a header that does not parse is reported as the
  // CRC mismatch it is, when it is one, as the serial path does.
  NpyHeader stored_header(NpyPreamble &pre) const {
    const uint8_t *member = ctx_.data() + e_.data_offset;
    const uint64_t size = e_.compressed_size;
    try {
      pre = parse_npy_preamble(
          {member, static_cast<size_t>(std::min<uint64_t>(size, kNpyPreambleMax))});
      check_header_size(pre, size);
      NpyHeader h =
          parse_dict(member + pre.preamble_size, pre.header_size - pre.preamble_size, pre.major);
      check_data_size(h, size - pre.header_size);
      return h;
    } catch (const sdk::Failure &) {
      check_crc(stored_crc());
      throw;
    }
  }

  // The host's threads check the CRC and make the tensor's bytes: a view
  // (CHECKED), or a converted copy split by element (DECODE).
  bool read_stored_deferred() {
    NpyPreamble pre{};
    NpyHeader h = stored_header(pre);
    MemberTag tag;
    tag.crc = e_.crc;
    tag.header_bytes = pre.header_size;
    tag.big_endian = h.big_endian && h.data_nbytes != 0;
    tag.transpose = h.fortran_order && !fortran_is_c_order(h.shape) && h.data_nbytes != 0;
    const std::optional<uint64_t> bits = pack_tag(tag);
    if (!bits)
      return false;
    const uint64_t data_offset = e_.data_offset + pre.header_size;
    wio_tensor_out t =
        sdk::mapped_tensor(h.dtype, name_, h.shape.data(), ndim(h), data_offset, h.data_nbytes);
    t.decode_tag = *bits;
    t.source_size = h.data_nbytes;
    // The CRC splits at any byte: it runs in parts beside the copy's (or
    // alone, for a view), and the host combines them (split_check).
    if (!tag.big_endian && !tag.transpose) {
      t.storage = WIO_STORAGE_CHECKED;
      t.unit_bytes = 1;
      t.source_unit_bytes = 1;
      t.split_check = 1;
    } else {
      t.storage = WIO_STORAGE_DECODE;
      t.buffer = alloc(h.data_nbytes);
      if (!tag.transpose) {
        t.unit_bytes = element_size(h);
        t.source_unit_bytes = element_size(h);
        t.split_check = 1;
      }
    }
    emit(t);
    return true;
  }

  void read_stored() {
    if (defer_ && read_stored_deferred())
      return;
    const uint8_t *member = ctx_.data() + e_.data_offset;
    const uint64_t size = e_.compressed_size;
    // The CRC first: a flipped byte anywhere, header included, is reported
    // as the corruption it is rather than as whatever it broke.
    if (!describe_ || ctx_.verify_all()) {
      zip::Crc32 crc;
      for (uint64_t off = 0; off < size; off += kChunk)
        crc.update(member + off, static_cast<size_t>(std::min(kChunk, size - off)));
      check_crc(crc.value());
    }

    const auto pre = parse_npy_preamble(
        {member, static_cast<size_t>(std::min<uint64_t>(size, kNpyPreambleMax))});
    check_header_size(pre, size);
    NpyHeader h =
        parse_dict(member + pre.preamble_size, pre.header_size - pre.preamble_size, pre.major);
    check_data_size(h, size - pre.header_size);
    if (describe_)
      return emit_described(h);
    if (!wanted_)
      return;
    const uint64_t data_offset = e_.data_offset + pre.header_size;
    if (!needs_conversion(h)) {
      emit(sdk::mapped_tensor(h.dtype, name_, h.shape.data(), ndim(h), data_offset, h.data_nbytes));
      return;
    }
    void *dst = alloc(h.data_nbytes);
    convert(h, ctx_.data() + data_offset, dst);
    emit(sdk::buffer_tensor(h.dtype, name_, h.shape.data(), ndim(h), dst, h.data_nbytes));
  }

  void read_deflated() {
    // read_zip_directory refused sizes deflate cannot produce from the
    // compressed size; inflation below stops at the declared size.
    const uint64_t usize = e_.uncompressed_size;
    zip::Inflater inf(ctx_.data() + e_.data_offset, e_.compressed_size);
    zip::Crc32 crc;

    uint8_t head[kNpyPreambleMax];
    const uint64_t head_n = inf.read(head, std::min<uint64_t>(usize, sizeof head));
    const auto pre = parse_npy_preamble({head, static_cast<size_t>(head_n)});
    check_header_size(pre, usize);
    std::vector<uint8_t> header(static_cast<size_t>(pre.header_size));
    std::memcpy(header.data(), head, static_cast<size_t>(head_n));
    const uint64_t rest = pre.header_size - head_n;
    if (inf.read(header.data() + head_n, rest) != rest)
      short_stream(head_n + 0, usize);
    crc.update(header.data(), header.size());
    NpyHeader h = parse_dict(header.data() + pre.preamble_size, pre.header_size - pre.preamble_size,
                             pre.major);
    check_data_size(h, usize - pre.header_size);
    if (defer_ && h.data_nbytes != 0 && read_deflated_deferred(pre, h))
      return;
    // A description needs the header only; with verify, the data streams
    // through the scratch buffer below for its CRC, as an unwanted member's.
    if (describe_ && !ctx_.verify_all())
      return emit_described(h);

    // Only now, with the size known to match the archive, allocate: the
    // host refuses what is over its limit before a byte is inflated. A
    // member only checked (not wanted) streams through one small buffer.
    void *dst = nullptr;
    std::vector<uint8_t> scratch;
    if (wanted_ && h.data_nbytes != 0)
      dst = alloc(h.data_nbytes);
    else
      scratch.resize(static_cast<size_t>(std::min(kChunk, h.data_nbytes)));
    for (uint64_t off = 0; off < h.data_nbytes; off += kChunk) {
      const uint64_t want = std::min(kChunk, h.data_nbytes - off);
      uint8_t *out = dst ? static_cast<uint8_t *>(dst) + off : scratch.data();
      const uint64_t got = inf.read(out, want);
      crc.update(out, static_cast<size_t>(got));
      if (got != want)
        short_stream(pre.header_size + off + got, usize);
    }
    if (!inf.at_end())
      refuse(NpzError::inflated_size, "inflates to more than its declared size of " +
                                          count_of(usize, "byte") + "; stopped there");
    check_crc(crc.value());
    if (describe_)
      return emit_described(h);
    if (!wanted_)
      return;
    if (h.data_nbytes == 0) {
      // Nothing to allocate: an empty view at the member's start.
      emit(sdk::mapped_tensor(h.dtype, name_, h.shape.data(), ndim(h), e_.data_offset, 0));
      return;
    }
    if (needs_conversion(h)) {
      if (h.fortran_order && !fortran_is_c_order(h.shape)) {
        void *c_order = alloc(h.data_nbytes);
        convert(h, dst, c_order);
        dst = c_order;
      } else {
        byteswap_in_place(dst, h.data_nbytes, swap_unit(h));
      }
    }
    emit(sdk::buffer_tensor(h.dtype, name_, h.shape.data(), ndim(h), dst, h.data_nbytes));
  }

  // Inflation, CRC and conversion on the host's threads, one member each.
  bool read_deflated_deferred(const NpyPreamble &pre, const NpyHeader &h) {
    MemberTag tag;
    tag.crc = e_.crc;
    tag.deflated = true;
    tag.header_bytes = pre.header_size;
    tag.big_endian = h.big_endian;
    tag.transpose = h.fortran_order && !fortran_is_c_order(h.shape);
    const std::optional<uint64_t> bits = pack_tag(tag);
    if (!bits)
      return false;
    wio_tensor_out t =
        sdk::mapped_tensor(h.dtype, name_, h.shape.data(), ndim(h), e_.data_offset, h.data_nbytes);
    t.storage = WIO_STORAGE_DECODE;
    t.decode_tag = *bits;
    t.source_size = e_.compressed_size;
    t.buffer = alloc(h.data_nbytes);
    emit(t);
    return true;
  }

  // The host's memory for the tensor. A refusal (over LoadLimits'
  // max_alloc_bytes, or out of memory) names the size the member declares.
  void *alloc(uint64_t size) const {
    try {
      return ctx_.alloc(size, kBufferAlignment, name_);
    } catch (const sdk::Failure &f) {
      sdk::fail(f.status(), "needs " + count_of(size, "byte") +
                                " of memory for its data; the host refused them (over its "
                                "allocation limit, or out of memory)");
    }
  }

  static bool needs_conversion(const NpyHeader &h) {
    return h.big_endian || (h.fortran_order && !fortran_is_c_order(h.shape));
  }

  static unsigned element_size(const NpyHeader &h) { return sdk::dtype_info(h.dtype).bits / 8; }

  static unsigned swap_unit(const NpyHeader &h) {
    const bool complex = h.dtype == WIO_DTYPE_C64 || h.dtype == WIO_DTYPE_C128;
    return complex ? element_size(h) / 2 : element_size(h);
  }

  // src (the npy data) -> dst in C order, little-endian. dst != src.
  static void convert(const NpyHeader &h, const void *src, void *dst) {
    if (h.fortran_order && !fortran_is_c_order(h.shape))
      fortran_to_c_order(src, dst, h.shape, element_size(h));
    else
      std::memcpy(dst, src, static_cast<size_t>(h.data_nbytes));
    if (h.big_endian)
      byteswap_in_place(dst, h.data_nbytes, swap_unit(h));
  }

  static uint32_t ndim(const NpyHeader &h) { return static_cast<uint32_t>(h.shape.size()); }

  void emit(const wio_tensor_out &t) const { ctx_.emit(t); }

  void emit_described(const NpyHeader &h) const {
    emit(sdk::described_tensor(h.dtype, name_, h.shape.data(), ndim(h), h.data_nbytes));
  }

  const sdk::ReadContext &ctx_;
  const Limits &limits_;
  const zip::ZipEntry &e_;
  std::string name_;
  bool describe_; // the host wants the description only (WIO_READ_DESCRIBE)
  bool wanted_;   // the host wants the bytes
  bool defer_;    // and runs the member's work on its threads (WIO_READ_DEFER)
};

constexpr std::string_view kNpySuffix = ".npy";

} // namespace

void read_npz(const wio_read_request &r) {
  const sdk::ReadContext ctx(&r);
  const Limits limits = limits_of(ctx);
  const bool defer = ctx.defer();
  const std::vector<zip::ZipEntry> entries =
      zip::read_zip_directory({ctx.data(), static_cast<size_t>(ctx.size())},
                              {limits.max_tensors, limits.max_header_bytes, limits.max_name_bytes});
  for (const zip::ZipEntry &e : entries) {
    try {
      if (e.name.size() < kNpySuffix.size() || !e.name.ends_with(kNpySuffix))
        refuse(NpzError::not_npy, "npz archives hold only .npy members");
      std::string tensor = e.name.substr(0, e.name.size() - kNpySuffix.size());
      const bool wanted = ctx.wants(tensor);
      if (wanted || ctx.verify_all())
        MemberReader(ctx, limits, e, std::move(tensor), wanted, defer).run();
    } catch (const sdk::Failure &f) {
      // The host's own failures carry no text (it kept the reason).
      if (*f.what() == '\0')
        throw;
      sdk::fail(f.status(), "member " + sdk::quoted(e.name) + ": " + f.what());
    }
    ctx.progress(e.data_offset + e.compressed_size, ctx.size());
  }
}

int32_t probe_npz(const uint8_t *head, size_t size) noexcept {
  static constexpr uint8_t kEmpty[4] = {'P', 'K', 5, 6};
  if (size < 4)
    return WIO_PROBE_UNSURE;
  if (std::memcmp(head, kEmpty, 4) == 0) // an empty archive: numpy's savez() of nothing
    return WIO_PROBE_UNSURE;
  const zip::FirstMemberName first = zip::first_member_name(head, size);
  if (first.state == zip::FirstMember::not_local_header)
    return WIO_PROBE_NO;
  if (first.state == zip::FirstMember::unsure)
    return WIO_PROBE_UNSURE;
  return first.name.ends_with(kNpySuffix) ? WIO_PROBE_YES : WIO_PROBE_NO;
}

} // namespace weightio::npz
