#include "checkpoint/shard_index.hpp"
#include "checkpoint/checkpoint_name.hpp"

#include <weightio/error.hpp>
#include <weightio/quoted.hpp>

#include <nlohmann/json.hpp>

namespace weightio::detail {

using json = nlohmann::json;

std::string index_json(uint64_t total_size,
                       const std::vector<std::pair<std::string, std::string>> &weight_map) {
  // nlohmann::json keeps object keys in a std::map, compared as unsigned
  // bytes; for valid UTF-8 that is code point order, which is what Python's
  // sort_keys uses (and not UTF-16 order, which differs beyond the BMP).
  json index;
  index["metadata"] = {{"total_size", total_size}};
  json map = json::object();
  for (const auto &[tensor, file] : weight_map)
    map[tensor] = file;
  index["weight_map"] = std::move(map);
  try {
    return index.dump(2, ' ', /*ensure_ascii=*/true) + "\n";
  } catch (const json::type_error &) {
    for (const auto &[tensor, file] : weight_map) {
      try {
        (void)json(tensor).dump(-1, ' ', true);
      } catch (const json::type_error &) {
        throw Error(ErrorCode::InvalidArgument,
                    "cannot write a shard index: tensor name " + sdk::quoted(tensor) +
                        " is not valid UTF-8, which JSON cannot hold",
                    {}, tensor);
      }
    }
    throw Error(ErrorCode::InvalidArgument,
                "cannot write a shard index: a file name is not valid UTF-8");
  }
}

ShardIndex parse_index(std::string_view text, const std::string &file) {
  auto fail = [&](const std::string &why) -> FormatError {
    return FormatError(ErrorCode::InvalidFile, "cannot load '" + file + "': " + why, file);
  };
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::parse_error &e) {
    throw fail(std::string("the index is not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object())
    throw fail("the index is not a JSON object");
  ShardIndex out;
  if (auto m = j.find("metadata"); m != j.end() && !m->is_null()) {
    if (!m->is_object())
      throw fail("the index's \"metadata\" is not an object");
    for (const auto &[k, v] : m->items())
      out.metadata.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    if (auto t = m->find("total_size"); t != m->end() && t->is_number_unsigned())
      out.total_size = t->get<uint64_t>();
  }
  auto wm = j.find("weight_map");
  if (wm == j.end())
    throw fail("the index has no \"weight_map\"");
  if (!wm->is_object())
    throw fail("the index's \"weight_map\" is not an object (it is " +
               std::string(wm->type_name()) + ")");
  if (wm->empty())
    throw fail("the index's \"weight_map\" is empty: it maps no tensor to a shard");
  std::string bad;
  for (const auto &[tensor, v] : wm->items()) {
    if (!v.is_string())
      throw fail("weight_map[\"" + tensor + "\"] is not a file name (it is " +
                 std::string(v.type_name()) + ")");
    std::string shard = v.get<std::string>();
    if (!is_plain_file_name(shard))
      bad += (bad.empty() ? "" : ", ") + (sdk::quoted(tensor) + " -> " + v.dump());
    out.weight_map.emplace_back(tensor, std::move(shard));
  }
  if (!bad.empty())
    throw fail("weight_map names shard files outside the index's folder (only plain file names "
               "are allowed; refusing to read outside it): " +
               bad);
  return out;
}

} // namespace weightio::detail
