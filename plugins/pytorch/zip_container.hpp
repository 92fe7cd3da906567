// torch.save's zip format (torch >= 1.6): one top-level folder (named after
// the file by torch 1.13, `archive/` by newer torch) holding data.pkl, the
// storages as data/<key>, `version`, and, from torch 2.x, `byteorder`.
// Records are stored (never deflated), 64-byte aligned, written with data
// descriptors, so they are found through the central directory.
#pragma once

#include "pickle_limits.hpp"
#include "pickle_value.hpp"
#include "storage_records.hpp"
#include "zip/zip_reader.hpp"

#include <weightio/plugin_abi.h>

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace weightio::pytorch {

class ZipCheckpoint final : public StorageRecords {
public:
  // Reads the archive's directory and finds data.pkl and byteorder.
  // Throws sdk::Failure: a TorchScript archive (constants.pkl or code/), no
  // data.pkl, a compressed data.pkl, a byteorder that is neither "little"
  // nor "big", any fault of the archive itself (zip_error.hpp); LIMIT past
  // the host's limits or max_pickle_bytes.
  // `verify`: each record used (data.pkl, byteorder, the storages) must
  // match its CRC-32 (WIO_READ_VERIFY: `weightio verify`); torch's own
  // reader checks none.
  // `describe` (and not `verify`): read the central directory only and
  // locate just data.pkl and byteorder, so a describe faults in no page of
  // the storages' records; locate() then returns each record's size at
  // offset 0 (a describe declares storages by id only).
  ZipCheckpoint(std::span<const uint8_t> input, const wio_read_limits &host,
                const PickleLimits &limits, bool verify = false, bool describe = false);

  ByteRange pickle() const { return pickle_; }
  const std::string &pickle_name() const { return pickle_name_; }
  bool big_endian() const { return big_endian_; }

  ByteRange locate(const Objects &objects, uint32_t index) override;

private:
  const zip::ZipEntry *find(const std::string &name) const;
  ByteRange stored(const zip::ZipEntry &e) const;

  std::span<const uint8_t> input_;
  bool verify_ = false;
  bool central_only_ = false; // entries' data_offset not read (describe)
  std::vector<zip::ZipEntry> entries_;
  std::unordered_map<std::string_view, size_t> by_name_;
  std::string prefix_; // "archive/"
  std::string pickle_name_;
  ByteRange pickle_;
  bool big_endian_ = false;
};

} // namespace weightio::pytorch
