#include "zip_container.hpp"

#include "../common/count_text.hpp"
#include "pytorch_error.hpp"
#include "torch_dtypes.hpp"
#include "zip/crc32.hpp"
#include "zip/zip_format.hpp"

#include <cstdio>

#include <weightio/plugin_sdk.hpp>

namespace weightio::pytorch {

namespace {

constexpr std::string_view kDataPkl = "data.pkl";

std::string describe(const StorageRecord &s) {
  if (!s.typed)
    return "UntypedStorage of " + common::count_of(s.numel, "byte");
  return std::string(storage_class_of(s.dtype)) + " of " + common::count_of(s.numel, "element");
}

std::string hex32(uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

} // namespace

ZipCheckpoint::ZipCheckpoint(std::span<const uint8_t> input, const wio_read_limits &host,
                             const PickleLimits &limits, bool verify, bool describe)
    : input_(input), verify_(verify), central_only_(describe && !verify) {
  zip::ZipLimits zl;
  // Records are the storages and a few more; storages are at most tensors.
  zl.max_entries = host.max_tensors != 0 ? host.max_tensors + 16 : 0;
  zl.max_directory_bytes = host.max_header_bytes;
  zl.max_name_bytes = host.max_name_bytes != 0 ? host.max_name_bytes + 64 : 0;
  entries_ = zip::read_zip_directory(
      input, zl, central_only_ ? zip::DirectoryDepth::central : zip::DirectoryDepth::full);
  if (entries_.empty())
    refuse(PtError::not_checkpoint, "the zip archive is empty");
  for (size_t i = 0; i < entries_.size(); ++i)
    by_name_.emplace(entries_[i].name, i);

  // torch names the folder after the first record it writes (data.pkl),
  // which the directory, sorted by data position, lists first too.
  const std::string &first = entries_.front().name;
  const size_t slash = first.find('/');
  if (slash == std::string::npos)
    refuse(PtError::not_checkpoint,
           "its first record " + sdk::quoted(first) + " is not inside a folder, as torch's are");
  prefix_ = first.substr(0, slash + 1);
  if (find(prefix_ + "constants.pkl") != nullptr)
    refuse(PtError::torchscript, "torch.jit.save wrote it (it has a constants.pkl record): load "
                                 "it with torch.jit.load");
  for (const zip::ZipEntry &e : entries_)
    if (e.name.starts_with(prefix_ + "code/"))
      refuse(PtError::torchscript, "torch.jit.save wrote it (it has code/ records): load it with "
                                   "torch.jit.load");

  pickle_name_ = prefix_ + std::string(kDataPkl);
  const zip::ZipEntry *pkl = find(pickle_name_);
  if (pkl == nullptr)
    refuse(PtError::missing_record, "the archive has no data.pkl in its folder", pickle_name_);
  pickle_ = stored(*pkl);
  if (limits.max_pickle_bytes != 0 && pickle_.size > limits.max_pickle_bytes)
    sdk::over_limit("data.pkl bytes", pickle_.size, limits.max_pickle_bytes, "max_pickle_bytes");

  if (const zip::ZipEntry *bo = find(prefix_ + "byteorder")) {
    const ByteRange r = stored(*bo);
    const std::string_view text(reinterpret_cast<const char *>(input_.data() + r.offset),
                                static_cast<size_t>(r.size));
    if (text == "big")
      big_endian_ = true;
    else if (text != "little")
      refuse(PtError::bad_record, "it holds " + sdk::quoted(text) + ", not \"little\" or \"big\"",
             bo->name);
  }
}

const zip::ZipEntry *ZipCheckpoint::find(const std::string &name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

ByteRange ZipCheckpoint::stored(const zip::ZipEntry &e) const {
  if (e.method != zip::kMethodStored)
    refuse(PtError::deflated_record,
           "it is compressed (method " + std::to_string(e.method) +
               "); torch.save stores every record, and weightio reads only stored ones",
           e.name);
  uint64_t at = e.data_offset;
  if (central_only_) {
    zip::ZipEntry located = e;
    zip::locate_member_data(input_, located);
    at = located.data_offset;
  }
  if (verify_) {
    zip::Crc32 crc;
    crc.update(input_.data() + at, e.compressed_size);
    if (crc.value() != e.crc)
      refuse(PtError::crc,
             "its bytes have CRC-32 " + hex32(crc.value()) + ", the directory says " + hex32(e.crc),
             e.name);
  }
  return {at, e.compressed_size};
}

ByteRange ZipCheckpoint::locate(const Objects &objects, uint32_t index) {
  const StorageRecord &s = objects.storages[index];
  const std::string name = prefix_ + "data/" + std::string(s.key);
  const zip::ZipEntry *e = find(name);
  if (e == nullptr)
    refuse(PtError::missing_record,
           "the archive has no record for storage " + sdk::quoted(s.key) + " (" + describe(s) + ")",
           name);
  ByteRange r;
  if (!central_only_) {
    r = stored(*e);
  } else {
    // A describe reads no record: the directory's size is checked, and the
    // storage declared by its size alone.
    if (e->method != zip::kMethodStored)
      stored(*e); // refuses it, naming the method
    if (e->compressed_size > input_.size())
      refuse(PtError::record_size,
             "it claims " + common::count_of(e->compressed_size, "byte") +
                 ", more than the file holds",
             name);
    r = {0, e->compressed_size};
  }
  const uint64_t want = storage_bytes(s);
  if (r.size != want)
    refuse(PtError::record_size,
           "it holds " + common::count_of(r.size, "byte") + " but its storage (" + describe(s) +
               ") needs " + std::to_string(want),
           name);
  return r;
}

} // namespace weightio::pytorch
