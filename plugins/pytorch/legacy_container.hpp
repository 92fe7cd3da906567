// torch.save's legacy format (torch < 1.6, or _use_new_zipfile_serialization
// =False): a sequence of protocol-2 pickles (torch's magic number, the
// protocol version 1001, a sys_info dict, the object, the list of storage
// keys), then each storage in key-list order as a little-endian int64
// element count and its bytes. torch writes the bytes little-endian
// whatever the machine, so no swap is ever needed.
#pragma once

#include "pickle_limits.hpp"
#include "pickle_value.hpp"
#include "storage_records.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

namespace weightio::pytorch {

// The 15 bytes every legacy checkpoint starts with: PROTO 2, LONG1 of the
// magic number 0x1950a86a20f9469cfc6c, STOP.
inline constexpr std::string_view kLegacyPrefix{
    "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e", 15};

class LegacyCheckpoint final : public StorageRecords {
public:
  // Runs the pickles into `objects` and finds every storage's bytes.
  // Throws sdk::Failure: a wrong header pickle, a storage stream that
  // disagrees with the storages the object declared (a key it never
  // declared, a count that is not the declared one, bytes past the end,
  // bytes after the last storage), any refusal of the pickle machine;
  // LIMIT past max_pickle_bytes (the pickles together).
  LegacyCheckpoint(Objects &objects, const PickleLimits &limits);

  Ref object() const { return object_; }
  ByteRange locate(const Objects &objects, uint32_t index) override;

private:
  void check_sys_info(const Objects &o, Ref info) const;
  void read_storages(const Objects &o, Ref keys, uint64_t pos);

  Ref object_ = 0;
  std::vector<ByteRange> records_; // by storage index
  std::vector<uint8_t> found_;     // by storage index
};

} // namespace weightio::pytorch
