// What a probe sees of a ZIP archive in its first bytes: the first local
// header's member name, which npz (x.npy) and PyTorch (<folder>/data.pkl)
// recognise their files by. Pure and allocation-free, as probes must be.
#pragma once

#include "zip_format.hpp"

#include <weightio/byte_io.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace weightio::zip {

enum class FirstMember {
  not_local_header, // the bytes do not start with a local header
  unsure,           // they may, but the name is not in view
  named,            // `name` is the first member's name
};

struct FirstMemberName {
  FirstMember state;
  std::string_view name; // into `head`; only when `named`
};

inline FirstMemberName first_member_name(const uint8_t *head, size_t size) noexcept {
  static constexpr uint8_t kLocal[4] = {'P', 'K', 3, 4};
  if (std::memcmp(head, kLocal, size < 4 ? size : 4) != 0)
    return {FirstMember::not_local_header, {}};
  if (size < kLocalHeaderSize)
    return {FirstMember::unsure, {}};
  const size_t name_len = sdk::load_le<uint16_t>(head + 26);
  if (size < kLocalHeaderSize + name_len)
    return {FirstMember::unsure, {}};
  return {FirstMember::named, {reinterpret_cast<const char *>(head + kLocalHeaderSize), name_len}};
}

} // namespace weightio::zip
