// One call of a format's `decode` (C++17 or later), for readers that emit
// WIO_STORAGE_DECODE or WIO_STORAGE_CHECKED tensors (docs/PLUGINS-ADVANCED.md).
// The host calls decode in four ways, told apart in the C request only by
// which pointers are NULL; DecodeCall::kind() names the way, and its
// accessors read the split-check fields only from a host that sends them
// (they arrived within ABI 2), so a plugin tests no struct_size itself:
//
//   int32_t decode(const wio_decode_request *r, char *error, size_t size) {
//     return sdk::guard(error, size, [&] {
//       const sdk::DecodeCall call(*r);
//       switch (call.kind()) { ... }
//     });
//   }
#ifndef WEIGHTIO_DECODE_CALL_HPP
#define WEIGHTIO_DECODE_CALL_HPP

#include <weightio/plugin_sdk.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace weightio::sdk {

enum class DecodeKind {
  // Produce units [first_unit(), first_unit() + unit_count()) of a DECODE
  // tensor into dest() (dest_size() bytes, a real pointer even for none),
  // and run the tensor's check unless check_part() is set: then store this
  // part's share of the check there instead.
  decode,
  // Check a CHECKED tensor whole (its bytes: source(), nbytes()); nothing
  // to write. Fail the call if the check fails.
  check,
  // One part of a split check of a CHECKED tensor: the units as for decode,
  // nothing to write; store the part's result in check_part()->result.
  check_part,
  // The last call of a split check, after every part succeeded: combine
  // check_parts() (every part's, in order) and fail if the check fails.
  finish_check,
};

class DecodeCall {
public:
  explicit DecodeCall(const wio_decode_request &r) noexcept : r_(r) {}

  DecodeKind kind() const noexcept {
    if (check_parts() != nullptr)
      return DecodeKind::finish_check;
    if (r_.dest != nullptr)
      return DecodeKind::decode;
    return check_part() != nullptr ? DecodeKind::check_part : DecodeKind::check;
  }

  // The tensor as the reader emitted it.
  std::string_view name() const noexcept { return {r_.name.data, r_.name.size}; }
  int32_t dtype() const noexcept { return r_.dtype; }
  std::string_view block_type() const noexcept { return {r_.block_type.data, r_.block_type.size}; }
  uint32_t ndim() const noexcept { return r_.ndim; }
  const int64_t *shape() const noexcept { return r_.shape; }
  uint64_t tag() const noexcept { return r_.decode_tag; }
  uint64_t nbytes() const noexcept { return r_.nbytes; } // the whole output
  uint64_t unit_bytes() const noexcept { return r_.unit_bytes; }
  uint64_t source_unit_bytes() const noexcept { return r_.source_unit_bytes; }

  // The whole input, and the tensor's source in it (the host checked that
  // [offset, offset + source_size) lies inside the input).
  const uint8_t *input() const noexcept { return r_.data; }
  uint64_t input_size() const noexcept { return r_.size; }
  uint64_t offset() const noexcept { return r_.offset; }
  const uint8_t *source() const noexcept { return r_.data + r_.offset; }
  uint64_t source_size() const noexcept { return r_.source_size; }

  // The part this call covers: with unit_bytes() 0 always 0 and 1 (the
  // whole tensor); for finish_check every unit.
  uint64_t first_unit() const noexcept { return r_.first_unit; }
  uint64_t unit_count() const noexcept { return r_.unit_count; }
  // Where the part's output starts in the whole tensor's bytes.
  uint64_t dest_offset() const noexcept {
    return r_.unit_bytes == 0 ? 0 : r_.first_unit * r_.unit_bytes;
  }
  void *dest() const noexcept { return r_.dest; }
  uint64_t dest_size() const noexcept { return r_.dest_size; }

  // A split check's part (check_part calls, and decode calls of a tensor
  // emitted with split_check): first_unit and unit_count filled in, result
  // the format's to set. NULL otherwise, and from a host without split
  // checks, which then checks whole tensors.
  wio_check_part *check_part() const noexcept { return split() ? r_.check_part : nullptr; }
  // finish_check: every part's, in order (check_part_count() of them).
  const wio_check_part *check_parts() const noexcept { return split() ? r_.check_parts : nullptr; }
  size_t check_part_count() const noexcept { return split() ? r_.check_part_count : 0; }

  // A load option of the read that emitted the tensor.
  std::optional<std::string_view> option(std::string_view name) const {
    return find_option(r_.options, r_.option_count, name);
  }

  const wio_decode_request &request() const noexcept { return r_; }

private:
  bool split() const noexcept { return WIO_HAS_FIELD(&r_, wio_decode_request, check_part_count); }
  const wio_decode_request &r_;
};

} // namespace weightio::sdk

#endif
