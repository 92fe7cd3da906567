#include "host/sink_adapter.hpp"

#include "host/plugin_status.hpp"

#include <weightio/error.hpp>

namespace weightio::detail {

SinkAdapter::SinkAdapter(OutputSink &sink, const ProgressFn &progress, std::string file)
    : sink_(sink), progress_(progress), file_(std::move(file)), warnings_(file_) {
  c_.struct_size = sizeof(wio_sink);
  c_.ctx = this;
  c_.write = &write_cb;
  c_.writev = &writev_cb;
  c_.pwrite = &pwrite_cb;
  c_.position = &position_cb;
  c_.progress = &progress_cb;
  c_.warn = &warn_cb;
}

void SinkAdapter::warn_cb(void *ctx, wio_str message) {
  static_cast<SinkAdapter *>(ctx)->warnings_.add(message);
}

template <class F> int32_t SinkAdapter::guarded(F &&f) noexcept {
  if (error_)
    return WIO_ERR_IO; // a plugin that ignores a failure gets it again
  try {
    return f();
  } catch (...) {
    error_ = std::current_exception();
    return status_for(error_);
  }
}

int32_t SinkAdapter::write_cb(void *ctx, const void *data, size_t size) {
  wio_iovec one{data, size};
  return writev_cb(ctx, &one, 1);
}

int32_t SinkAdapter::writev_cb(void *ctx, const wio_iovec *iov, size_t count) {
  auto *self = static_cast<SinkAdapter *>(ctx);
  return self->guarded([&] {
    if (count > 0 && iov == nullptr)
      throw Error(ErrorCode::Internal,
                  "cannot save '" + self->file_ + "': the plugin passed a null iovec array",
                  self->file_);
    self->sink_.writev(iov, count);
    return int32_t{WIO_OK};
  });
}

int32_t SinkAdapter::pwrite_cb(void *ctx, uint64_t offset, const void *data, size_t size) {
  auto *self = static_cast<SinkAdapter *>(ctx);
  return self->guarded([&] {
    self->sink_.pwrite(offset, data, size);
    return int32_t{WIO_OK};
  });
}

uint64_t SinkAdapter::position_cb(void *ctx) {
  return static_cast<SinkAdapter *>(ctx)->sink_.position();
}

int32_t SinkAdapter::progress_cb(void *ctx, uint64_t done, uint64_t total) {
  auto *self = static_cast<SinkAdapter *>(ctx);
  return self->guarded([&] {
    if (self->progress_ && !self->progress_(done, total))
      throw Error(ErrorCode::Cancelled,
                  "save of '" + self->file_ + "' cancelled by the progress callback", self->file_);
    return int32_t{WIO_OK};
  });
}

} // namespace weightio::detail
