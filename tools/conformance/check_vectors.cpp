// vectors: reference files against expectations in the format-neutral
// schema of docs/CONFORMANCE.md ("weightio-conformance-vectors/1").
#include "../metadata_view.hpp"
#include "../sha256.hpp"
#include "isolated_check.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace wcli::conformance {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char *kSchema = "weightio-conformance-vectors/1";

std::string shape_text(const json &j) {
  std::string s = "[";
  for (size_t i = 0; i < j.size(); ++i)
    s += (i ? ", " : "") + j[i].dump();
  return s + "]";
}

// Empty when the loaded file matches the expectation `v`, else the first
// field that differs.
std::string compare_valid(const json &v, const weightio::Weights &w) {
  const auto &tensors = v.at("tensors");
  if (tensors.size() != w.size())
    return "tensor count: expected " + std::to_string(tensors.size()) + ", got " +
           std::to_string(w.size());
  const bool ordered = v.value("tensor_order", std::string("file")) == "file";
  size_t i = 0;
  for (const auto &e : tensors) {
    const std::string name = e.at("name").get<std::string>();
    const weightio::Tensor *t = nullptr;
    if (ordered) {
      auto it = w.begin() + static_cast<std::ptrdiff_t>(i);
      if (it->first != name)
        return "tensor " + std::to_string(i) + " name: expected '" + name + "', got '" + it->first +
               "'";
      t = &it->second;
    } else if (!(t = w.find(name))) {
      return "tensor '" + name + "' name: expected, not found";
    }
    ++i;
    const std::string type = e.at("type").get<std::string>();
    if (t->type_name() != type)
      return "tensor '" + name + "' type: expected " + type + ", got " +
             std::string(t->type_name());
    json shape = json::array();
    for (auto d : t->shape())
      shape.push_back(d);
    if (shape != e.at("shape"))
      return "tensor '" + name + "' shape: expected " + shape_text(e.at("shape")) + ", got " +
             shape_text(shape);
    const std::string sha = sha256_hex(t->data(), t->nbytes());
    if (sha != e.at("sha256").get<std::string>())
      return "tensor '" + name + "' sha256: expected " + e.at("sha256").get<std::string>() +
             ", got " + sha;
  }
  if (!v.contains("metadata"))
    return {};
  const auto got = metadata_json(w.metadata);
  const auto &want = v.at("metadata");
  if (want.size() != got.size())
    return "metadata count: expected " + std::to_string(want.size()) + ", got " +
           std::to_string(got.size());
  const bool meta_ordered = v.value("metadata_order", std::string("file")) == "file";
  for (size_t k = 0; k < want.size(); ++k) {
    const auto &e = want[k];
    const std::string key = e.at("key").get<std::string>();
    const nlohmann::ordered_json *g = nullptr;
    if (meta_ordered) {
      if (got[k].at("key").get<std::string>() != key)
        return "metadata " + std::to_string(k) + " key: expected '" + key + "', got '" +
               got[k].at("key").get<std::string>() + "'";
      g = &got[k];
    } else {
      for (const auto &x : got)
        if (x.at("key") == key)
          g = &x;
      if (!g)
        return "metadata '" + key + "' key: expected, not found";
    }
    for (const char *field : {"type", "item_type", "value"})
      if (e.contains(field) != g->contains(field) ||
          (e.contains(field) && json(e.at(field)) != json(g->at(field))))
        return "metadata '" + key + "' " + field + ": expected " +
               (e.contains(field) ? e.at(field).dump() : "none") + ", got " +
               (g->contains(field) ? json(g->at(field)).dump() : "none");
  }
  return {};
}

} // namespace

void check_vectors(const Target &t, const KitOptions &o, std::vector<CheckResult> &out) {
  if (o.vectors.empty()) {
    out.push_back({"vectors", Status::Skip, "no --vectors DIR given"});
    return;
  }
  std::vector<fs::path> sets;
  for (const auto &e : fs::directory_iterator(o.vectors))
    if (e.path().extension() == ".json")
      sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  out.push_back(isolated_check("vectors", limits_for(o), [&](Reporter &r) {
    size_t files = 0, skipped_sets = 0;
    for (const auto &set_path : sets) {
      json set;
      try {
        std::ifstream in(set_path);
        set = json::parse(in);
        if (set.value("schema", std::string()) != kSchema)
          throw std::runtime_error(std::string("\"schema\" is not \"") + kSchema + "\"");
      } catch (const std::exception &e) {
        r.fail(set_path.filename().string() + ": not a vector set: " + e.what());
        continue;
      }
      const std::string format = set.at("format").get<std::string>();
      const bool ours = std::any_of(t.info.formats.begin(), t.info.formats.end(),
                                    [&](const auto &f) { return f.name == format && f.can_read; });
      if (!ours) {
        ++skipped_sets;
        continue;
      }
      for (const auto &v : set.at("vectors")) {
        const std::string file = v.at("file").get<std::string>();
        const std::string shown = fs::path(file).filename().string();
        r.step(shown);
        ++files;
        weightio::LoadOptions lo;
        lo.format = format;
        const fs::path path =
            fs::path(file).is_absolute() ? fs::path(file) : set_path.parent_path() / file;
        try {
          auto w = weightio::load_weights(path, lo);
          if (!v.at("valid").get<bool>())
            r.fail(shown + " valid: expected false (" + v.value("why", std::string("invalid")) +
                   "), but it loaded");
          else if (auto d = compare_valid(v, w); !d.empty())
            r.fail(shown + " " + d);
        } catch (const weightio::Error &e) {
          if (v.at("valid").get<bool>())
            r.fail(shown + " valid: expected true, but it was refused: " + e.what());
          else if (e.code() != weightio::ErrorCode::InvalidFile)
            r.fail(shown + " valid: expected a clean refusal (invalid file), got: " + e.what());
        } catch (const std::exception &e) {
          r.fail(shown + ": " + e.what());
        }
      }
    }
    if (files == 0)
      return r.skip("no vector set in '" + o.vectors.string() + "' is for this plugin's formats");
    r.note(std::to_string(files) + " reference files agree with their expectations");
  }));
}

} // namespace wcli::conformance
