#include "escaping_log_sink.hpp"

#include "human.hpp"

#include <weightio/log.hpp>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include <memory>
#include <string>

namespace wcli {

namespace {

class EscapingSink final : public spdlog::sinks::sink {
public:
  explicit EscapingSink(spdlog::sink_ptr inner) : inner_(std::move(inner)) {
    set_level(inner_->level());
  }
  void log(const spdlog::details::log_msg &msg) override {
    const std::string text = printable(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy(msg);
    copy.payload = spdlog::string_view_t(text.data(), text.size());
    inner_->log(copy);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string &pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> f) override {
    inner_->set_formatter(std::move(f));
  }

private:
  spdlog::sink_ptr inner_;
};

} // namespace

void escape_library_log_messages() {
  for (auto &s : weightio::logger()->sinks())
    s = std::make_shared<EscapingSink>(s);
}

} // namespace wcli
