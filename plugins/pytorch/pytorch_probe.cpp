#include "legacy_container.hpp"
#include "pytorch.hpp"
#include "zip/zip_probe.hpp"

#include <weightio/byte_io.hpp>

#include <cstring>
#include <string_view>

namespace weightio::pytorch {

namespace {

// Whether `head` (size bytes) agrees with `prefix` as far as both go.
bool agrees(const uint8_t *head, size_t size, std::string_view prefix) {
  const size_t n = size < prefix.size() ? size : prefix.size();
  return std::memcmp(head, prefix.data(), n) == 0;
}

constexpr std::string_view kDataPkl = "/data.pkl";

} // namespace

// torch writes data.pkl first (torch 1.13 and 2.x alike), so its name is
// the first local header's: a zip whose first record is anything else
// (x.npy: numpy's npz; data/0: a TorchScript archive) is not a checkpoint.
int32_t probe_pytorch(const uint8_t *head, size_t size) noexcept {
  if (size < kLegacyPrefix.size() && agrees(head, size, kLegacyPrefix))
    return WIO_PROBE_UNSURE;
  if (size >= kLegacyPrefix.size() && agrees(head, size, kLegacyPrefix))
    return WIO_PROBE_YES;
  const zip::FirstMemberName first = zip::first_member_name(head, size);
  if (first.state == zip::FirstMember::not_local_header)
    return WIO_PROBE_NO;
  if (first.state == zip::FirstMember::unsure)
    return WIO_PROBE_UNSURE;
  return first.name.ends_with(kDataPkl) ? WIO_PROBE_YES : WIO_PROBE_NO;
}

} // namespace weightio::pytorch
