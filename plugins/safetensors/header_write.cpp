#include "header_write.hpp"

#include <weightio/dtype_info.hpp>

#include <nlohmann/json.hpp>

namespace weightio::safetensors {

namespace {

using nlohmann::ordered_json;
using Members = std::vector<std::pair<const std::string, ordered_json>>;

// ordered_json's own insert looks for an existing key first, which makes a
// table of n tensors cost O(n^2). Keys here are known to be unique, so append
// to the underlying vector (ordered_map derives from it publicly).
Members &members(ordered_json &object) {
  return object.get_ref<ordered_json::object_t &>();
}

} // namespace

std::string build_header(std::span<const HeaderTensor> tensors,
                         std::span<const MetadataEntry> metadata) {
  ordered_json root = ordered_json::object();
  Members &top = members(root);
  top.reserve(tensors.size() + (metadata.empty() ? 0 : 1));

  if (!metadata.empty()) {
    ordered_json meta = ordered_json::object();
    Members &m = members(meta);
    m.reserve(metadata.size());
    for (const auto &[key, value] : metadata)
      m.emplace_back(std::string(key), ordered_json(std::string(value)));
    top.emplace_back("__metadata__", std::move(meta));
  }

  for (const HeaderTensor &t : tensors) {
    ordered_json shape = ordered_json::array();
    auto &extents = shape.get_ref<ordered_json::array_t &>();
    extents.reserve(t.shape.size());
    for (int64_t e : t.shape)
      extents.emplace_back(static_cast<uint64_t>(e));

    ordered_json entry = ordered_json::object();
    Members &fields = members(entry);
    fields.reserve(3);
    fields.emplace_back("dtype", ordered_json(std::string(sdk::dtype_info(t.dtype).name)));
    fields.emplace_back("shape", std::move(shape));
    fields.emplace_back("data_offsets", ordered_json::array({t.begin, t.end}));
    top.emplace_back(std::string(t.name), std::move(entry));
  }

  // Compact, non-ASCII kept as UTF-8 and control characters as \u00XX:
  // exactly serde_json's to_string, which the official writer uses.
  std::string text = root.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

} // namespace weightio::safetensors
