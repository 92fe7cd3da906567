// Warnings from plugins (wio_sink.warn, wio_read_request.warn): kept in
// order, each once, and logged at debug level, for the caller to show.
#pragma once

#include "support/log_internal.hpp"

#include <weightio/plugin_abi.h>

#include <algorithm>
#include <string>
#include <vector>

namespace weightio::detail {

class WarningList {
public:
  explicit WarningList(std::string file) : file_(std::move(file)) {}
  // Never throws: a warning lost to memory exhaustion is not worth failing
  // the operation for.
  void add(wio_str message) noexcept {
    try {
      if (message.data == nullptr || messages_.size() >= kMax)
        return;
      std::string m(message.data, message.size);
      if (std::find(messages_.begin(), messages_.end(), m) != messages_.end())
        return;
      log()->debug("'{}': {}", file_, m);
      messages_.push_back(std::move(m));
    } catch (...) {
    }
  }
  std::vector<std::string> take() { return std::move(messages_); }

private:
  static constexpr size_t kMax = 1000; // a plugin warning per tensor stays bounded
  std::string file_;
  std::vector<std::string> messages_;
};

} // namespace weightio::detail
