#include "safetensors_reference.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace sttest {

wtest::fs::path reference_path(const std::string &file) {
  return wtest::data_path("safetensors/" + file);
}

std::vector<std::string> reference_files(const std::string &prefix) {
  std::vector<std::string> out;
  std::ifstream in(reference_path("MANIFEST.tsv"));
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) { // column titles
      first = false;
      continue;
    }
    const std::string file = line.substr(0, line.find('\t'));
    if (file.rfind(prefix, 0) == 0)
      out.push_back(file);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Expected expected_for(const std::string &file) {
  const std::string stem = file.substr(0, file.size() - std::string(".safetensors").size());
  std::ifstream in(reference_path(stem + ".expected.jsonl"));
  if (!in)
    throw std::runtime_error("no expectation for " + file);
  std::string line;
  std::getline(in, line);
  const auto head = nlohmann::json::parse(line);
  Expected e;
  e.valid = head.at("valid").get<bool>();
  if (!e.valid) {
    e.error_kind = head.at("error_kind").get<std::string>();
    e.error = head.at("error").get<std::string>();
    return e;
  }
  e.file_len = head.at("file_len").get<uint64_t>();
  e.header_len = head.at("header_len").get<uint64_t>();
  e.data_start = head.at("data_start").get<uint64_t>();
  if (!head.at("metadata").is_null()) {
    e.metadata.emplace();
    for (const auto &[k, v] : head.at("metadata").get<std::map<std::string, std::string>>())
      e.metadata->set(k, v);
  }
  while (std::getline(in, line)) {
    const auto t = nlohmann::json::parse(line);
    ExpectedTensor x;
    x.name = t.at("name").get<std::string>();
    x.dtype = t.at("dtype").get<std::string>();
    x.shape = t.at("shape").get<weightio::Shape>();
    x.begin = t.at("data_offsets").at(0).get<uint64_t>();
    x.end = t.at("data_offsets").at(1).get<uint64_t>();
    x.nbytes = t.at("nbytes").get<uint64_t>();
    x.sha256 = t.at("sha256").get<std::string>();
    e.tensors.push_back(std::move(x));
  }
  if (e.tensors.size() != head.at("n_tensors").get<size_t>())
    throw std::runtime_error("tensor count mismatch in the expectation of " + file);
  return e;
}

std::string phrase_for_error_kind(const std::string &error_kind) {
  static const std::map<std::string, std::string> phrases = {
      {"HeaderTooSmall", "file too small"},
      {"HeaderTooLarge", "header too large"},
      {"InvalidHeaderLength", "header truncated"},
      {"InvalidHeader", "header not UTF-8"},
      {"InvalidHeaderDeserialization", "bad header JSON"},
      {"InvalidOffset", "bad data_offsets"},
      {"ValidationOverflow", "shape overflow"},
      {"MisalignedSlice", "partial byte"},
      {"TensorInvalidInfo", "tensor size mismatch"},
      {"MetadataIncompleteBuffer", "data length mismatch"},
  };
  auto it = phrases.find(error_kind);
  if (it == phrases.end())
    throw std::runtime_error("unmapped error_kind " + error_kind);
  return it->second;
}

} // namespace sttest
