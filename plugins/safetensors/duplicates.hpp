// Finding a repeated name among many, for both directions of the format
// (tensor names are keys of one JSON object, so they must be unique).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace weightio::safetensors {

// A name that occurs more than once among name_at(0) .. name_at(n-1), or
// nullopt. Sorts (hash, index) pairs rather than filling a hash set: memory
// access stays sequential, several times faster once a million names
// outgrow the caches. Runs of equal hashes are sorted by name, so even
// crafted collisions cost O(k log k), not O(k^2).
template <class NameAt> std::optional<std::string_view> find_duplicate(size_t n, NameAt name_at) {
  std::vector<std::pair<size_t, size_t>> keyed(n); // (hash, index)
  for (size_t i = 0; i < n; ++i)
    keyed[i] = {std::hash<std::string_view>{}(name_at(i)), i};
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::string_view> run;
  for (size_t i = 0; i < n;) {
    size_t end = i + 1;
    while (end < n && keyed[end].first == keyed[i].first)
      ++end;
    if (end - i > 1) {
      run.clear();
      for (size_t k = i; k < end; ++k)
        run.push_back(name_at(keyed[k].second));
      std::sort(run.begin(), run.end());
      for (size_t k = 1; k < run.size(); ++k)
        if (run[k] == run[k - 1])
          return run[k];
    }
    i = end;
  }
  return std::nullopt;
}

} // namespace weightio::safetensors
