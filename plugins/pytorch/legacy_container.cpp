#include "legacy_container.hpp"

#include "../common/count_text.hpp"
#include "pickle_machine.hpp"
#include "pytorch_error.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <cstring>

namespace weightio::pytorch {

namespace {

constexpr int64_t kProtocolVersion = 1001;

// The value under the str key `key` of dict `d`, or nullopt.
std::optional<Ref> lookup(const Objects &o, Ref d, std::string_view key) {
  const std::vector<Ref> &items = o.items(d);
  for (size_t i = 0; i + 1 < items.size(); i += 2)
    if (o[items[i]].kind == Kind::string && o.text(items[i]) == key)
      return items[i + 1];
  return std::nullopt;
}

bool is_int(const Objects &o, std::optional<Ref> r, int64_t v) {
  return r && o[*r].kind == Kind::integer && static_cast<int64_t>(o[*r].a) == v;
}

} // namespace

LegacyCheckpoint::LegacyCheckpoint(Objects &o, const PickleLimits &limits) {
  const std::span<const uint8_t> in = o.input();
  if (in.size() < kLegacyPrefix.size() ||
      std::memcmp(in.data(), kLegacyPrefix.data(), kLegacyPrefix.size()) != 0)
    refuse(PtError::legacy, "it does not start with torch's magic number");
  // The pickles share max_pickle_bytes: each may run up to what is left.
  const uint64_t limit_end = limits.max_pickle_bytes == 0 || limits.max_pickle_bytes > in.size()
                                 ? in.size()
                                 : limits.max_pickle_bytes;
  const uint64_t budget = limit_end < in.size() ? limits.max_pickle_bytes : 0;
  uint64_t pos = kLegacyPrefix.size();
  auto next = [&](std::string_view what) {
    PickleMachine m(o, limits);
    try {
      return m.run(pos, limit_end, &pos, budget);
    } catch (const sdk::LimitExceeded &) {
      throw;
    } catch (const sdk::Failure &f) {
      sdk::fail(f.status(), "the legacy format's " + std::string(what) + " pickle: " + f.what());
    }
  };
  if (!is_int(o, next("protocol version"), kProtocolVersion))
    refuse(PtError::legacy, "its protocol version is not torch's 1001");
  check_sys_info(o, next("sys_info"));
  object_ = next("object");
  const Ref keys = next("storage keys");
  read_storages(o, keys, pos);
}

// torch writes the storages little-endian on any machine, so a big-endian
// writer's file reads the same; what must agree is that the sizes are
// torch's own (short 2, int 4, long 4: struct's standard sizes).
void LegacyCheckpoint::check_sys_info(const Objects &o, Ref info) const {
  if (o[info].kind != Kind::dict)
    refuse(PtError::legacy,
           "its sys_info is a " + std::string(kind_name(o[info].kind)) + ", not a dict");
  const auto little = lookup(o, info, "little_endian");
  if (!little || o[*little].kind != Kind::boolean)
    refuse(PtError::legacy, "its sys_info has no little_endian bool");
  if (o[*little].a == 0)
    refuse(PtError::legacy, "it was written on a big-endian machine, which weightio does not "
                            "read (sys_info little_endian is False)");
  const auto sizes = lookup(o, info, "type_sizes");
  if (!sizes || o[*sizes].kind != Kind::dict)
    refuse(PtError::legacy, "its sys_info has no type_sizes dict");
  const auto lng = lookup(o, *sizes, "long");
  if (!is_int(o, lookup(o, *sizes, "short"), 2) || !is_int(o, lookup(o, *sizes, "int"), 4) ||
      !(is_int(o, lng, 4) || is_int(o, lng, 8)))
    refuse(PtError::legacy, "its sys_info type_sizes are not short 2, int 4, long 4 or 8");
}

void LegacyCheckpoint::read_storages(const Objects &o, Ref keys, uint64_t pos) {
  if (o[keys].kind != Kind::list)
    refuse(PtError::legacy,
           "its storage keys are a " + std::string(kind_name(o[keys].kind)) + ", not a list");
  const std::span<const uint8_t> in = o.input();
  records_.assign(o.storages.size(), {});
  found_.assign(o.storages.size(), 0);
  for (Ref k : o.items(keys)) {
    if (o[k].kind != Kind::string)
      refuse(PtError::legacy, "its storage key list holds a " + std::string(kind_name(o[k].kind)));
    const std::string_view key = o.text(k);
    const auto it = o.storage_by_key.find(key);
    if (it == o.storage_by_key.end())
      refuse(PtError::legacy, "the storage key list names a storage no tensor uses",
             "storage " + std::string(key));
    const uint32_t index = it->second;
    if (found_[index] != 0)
      refuse(PtError::legacy, "the storage key list names it twice", "storage " + std::string(key));
    const StorageRecord &s = o.storages[index];
    if (!s.typed)
      refuse(PtError::legacy, "an UntypedStorage in the legacy format",
             "storage " + std::string(key));
    if (in.size() - pos < 8)
      refuse(PtError::legacy, "the file ends before its element count",
             "storage " + std::string(key));
    const uint64_t count = sdk::load_le<uint64_t>(in.data() + pos);
    if (count != s.numel)
      refuse(PtError::record_size,
             "its record holds " + std::to_string(count) + " elements but its storage declared " +
                 std::to_string(s.numel),
             "storage " + std::string(key));
    const uint64_t bytes = storage_bytes(s);
    if (in.size() - pos - 8 < bytes)
      refuse(PtError::legacy, "the file ends inside its " + common::count_of(bytes, "byte"),
             "storage " + std::string(key));
    records_[index] = {pos + 8, bytes};
    found_[index] = 1;
    pos += 8 + bytes;
  }
  if (pos != in.size())
    refuse(PtError::legacy, common::count_of(in.size() - pos, "byte") +
                                " follow the last storage; torch writes none");
}

ByteRange LegacyCheckpoint::locate(const Objects &o, uint32_t index) {
  if (index >= found_.size() || found_[index] == 0)
    refuse(PtError::missing_record, "the storage key list does not name it",
           "storage " + std::string(o.storages[index].key));
  return records_[index];
}

} // namespace weightio::pytorch
