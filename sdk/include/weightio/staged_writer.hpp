// StagedWriter: deprecated (the compiler says so where it is used), kept so
// that plugin sources written against it still compile. Write to the host's
// sink directly instead: sdk::Sink (plugin_sdk.hpp), with sdk::ByteWriter
// (byte_io.hpp) to gather small fields.
//
// It used to run the plugin's producer on a helper thread and write through
// a ring of buffers, because a plain sink write was slower. The host's file
// sink now does exactly that for every plugin (core/src/io/file_sink.hpp:
// staging ring, writer thread, page-aligned 2 MiB writes), so this class is
// a thin pass-through: run() calls the producer on the calling thread, and
// each put()/put_data()/patch() is handed straight to the consume/patch
// callbacks. The callbacks' contract is unchanged: called on the calling
// thread, in order; patches after the bytes they cover. It starts no thread
// and allocates nothing; slot sizes and the total hint are ignored.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <utility>

namespace weightio::sdk {

class [[deprecated(
    "write to the host's sink directly: weightio::sdk::Sink, with "
    "weightio::sdk::ByteWriter (weightio/byte_io.hpp) for small fields")]] StagedWriter {
public:
  // Called with the next bytes to write, in order (never empty, except once
  // at the very end when only the progress moved). `progress`: the bytes of
  // tensor data (put_data) among everything handed over so far. May throw
  // (a sink failure): run() lets it pass.
  using Consume = std::function<void(const void *data, size_t size, uint64_t progress)>;
  // Overwrites `size` bytes at `offset`, all of which were written before.
  using Patch = std::function<void(uint64_t offset, const void *data, size_t size)>;

  // Kept for source compatibility; they no longer change anything.
  static constexpr uint64_t kThreadMinBytes = uint64_t{4} << 20;
  static constexpr size_t kDefaultSlotBytes = size_t{2048} << 10;
  static constexpr size_t kDefaultSlots = 4;
  static constexpr size_t kInlineSlotBytes = size_t{256} << 10;
  static constexpr size_t kMaxPatchBytes = 8;

  StagedWriter(Consume consume, uint64_t total_hint, Patch patch = {},
               size_t slot_bytes = kDefaultSlotBytes, size_t slots = kDefaultSlots)
      : consume_(std::move(consume)), patch_(std::move(patch)) {
    (void)total_hint;
    (void)slot_bytes;
    (void)slots;
  }
  StagedWriter(const StagedWriter &) = delete;
  StagedWriter &operator=(const StagedWriter &) = delete;

  // Runs `produce` (which calls put(), put_data() and patch()) on the
  // calling thread, then reports the final progress if it moved since the
  // last write. Rethrows whatever `produce` or a callback threw.
  void run(const std::function<void()> &produce) {
    produce();
    if (progress_ != reported_)
      consume_(nullptr, 0, progress_);
    reported_ = progress_;
  }

  // Header bytes: the progress does not count them.
  void put(const void *data, size_t size) {
    hand_over(data, size);
  }

  // Tensor data, counted by the progress.
  void put_data(const void *data, size_t size) {
    progress_ += size;
    hand_over(data, size);
  }

  // Overwrites `size` (at most kMaxPatchBytes) bytes at `offset`, which
  // must lie in what was put before.
  void patch(uint64_t offset, const void *data, size_t size) {
    if (size > kMaxPatchBytes)
      throw std::length_error("StagedWriter::patch: too many bytes");
    patch_(offset, data, size);
  }

private:
  void hand_over(const void *data, size_t size) {
    if (size == 0)
      return;
    consume_(data, size, progress_);
    reported_ = progress_;
  }

  Consume consume_;
  Patch patch_;
  uint64_t progress_ = 0; // tensor data bytes put so far
  uint64_t reported_ = 0; // the progress last passed to consume_
};

} // namespace weightio::sdk
