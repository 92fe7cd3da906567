#include "host/alloc_budget.hpp"

#include "support/limit_text.hpp"
#include "support/log_internal.hpp"

#include <weightio/tensor.hpp>

#include <algorithm>

namespace weightio::detail {

void *AllocBudget::alloc(uint64_t size, uint64_t alignment) noexcept {
  try {
    if (!fits(size)) {
      log()->warn("'{}': the reader asked for {} bytes: {}", file_, size,
                  over_limit_text("allocated bytes", allocated_ + size, limit_, "max_alloc_bytes"));
      return nullptr;
    }
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > 4096)
      return nullptr;
    auto block = allocate_aligned(size, std::max<uint64_t>(alignment, 64));
    void *p = block.get();
    blocks_.emplace(p, Block{std::move(block), size});
    allocated_ += size;
    return p;
  } catch (...) {
    return nullptr; // out of memory: the plugin reports it
  }
}

void *AllocBudget::alloc_for(wio_str tensor, uint64_t size, uint64_t alignment) noexcept {
  try {
    if (into_ != nullptr && (tensor.data != nullptr || tensor.size == 0)) {
      const MutableTensorView *d =
          into_->find(std::string(tensor.data ? tensor.data : "", tensor.size));
      if (d != nullptr && d->data != nullptr && alignment != 0 &&
          reinterpret_cast<uintptr_t>(d->data) % alignment == 0 &&
          (d->block ? shape_nbytes(*d->block, d->shape) : shape_nbytes(d->dtype, d->shape)) ==
              size &&
          !blocks_.contains(d->data)) {
        // Not the host's to free: an owner that does nothing.
        blocks_.emplace(d->data, Block{std::shared_ptr<void>(d->data, [](void *) {}), size});
        return d->data;
      }
    }
  } catch (...) { // a bad destination: the host's own memory, checked later
  }
  return alloc(size, alignment);
}

AllocBudget::Taken AllocBudget::take(void *p, uint64_t at_least, std::shared_ptr<void> &owner) {
  auto it = blocks_.find(p);
  if (it == blocks_.end())
    return Taken::NotAllocated;
  if (it->second.size < at_least)
    return Taken::TooSmall;
  owner = std::move(it->second.owner);
  blocks_.erase(it);
  return Taken::Yes;
}

} // namespace weightio::detail
