// The memory a reader takes through the host (wio_read_request.alloc and
// alloc_for) and the load's allocation limit, LoadLimits::max_alloc_bytes,
// which also counts the buffers the host makes for deferred decodes. A
// block the reader got stays the budget's until a tensor takes it back by
// its pointer; what no tensor took is freed with the budget.
#pragma once

#include <weightio/io.hpp>
#include <weightio/plugin_abi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace weightio::detail {

class AllocBudget {
public:
  // `limit`: max_alloc_bytes (0 = none). `file` names the input in the log.
  // `into`: the caller's buffers (load_weights_into), or null.
  AllocBudget(uint64_t limit, std::string file, const MutableParams *into)
      : limit_(limit), file_(std::move(file)), into_(into) {}

  uint64_t limit() const noexcept { return limit_; }
  uint64_t allocated() const noexcept { return allocated_; }

  // Whether `size` more bytes stay within the limit.
  bool fits(uint64_t size) const noexcept {
    return limit_ == 0 || (size <= limit_ && allocated_ <= limit_ - size);
  }

  // Counts `size` bytes the host allocated for a tensor (fits said yes).
  void charge(uint64_t size) noexcept { allocated_ += size; }

  // wio_read_request.alloc: a block of `size` bytes aligned to `alignment`
  // (a power of two, at most 4096), or null: over the limit, a bad
  // alignment, or out of memory (the reader reports it).
  void *alloc(uint64_t size, uint64_t alignment) noexcept;

  // wio_read_request.alloc_for: the caller's own buffer for `tensor` when
  // it is of exactly `size` bytes and aligned (the reader, or its decode,
  // then writes the final bytes directly), else alloc.
  void *alloc_for(wio_str tensor, uint64_t size, uint64_t alignment) noexcept;

  enum class Taken { Yes, NotAllocated, TooSmall };

  // Takes back the block at `p` into `owner` when alloc or alloc_for gave
  // it out and it holds at least `at_least` bytes; else leaves it. The
  // owner of a caller's buffer frees nothing.
  Taken take(void *p, uint64_t at_least, std::shared_ptr<void> &owner);

private:
  struct Block {
    std::shared_ptr<void> owner;
    uint64_t size;
  };

  uint64_t limit_;
  std::string file_;
  const MutableParams *into_;
  std::unordered_map<void *, Block> blocks_;
  uint64_t allocated_ = 0; // what the limit counts so far
};

} // namespace weightio::detail
