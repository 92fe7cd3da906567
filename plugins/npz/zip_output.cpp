#include "zip_output.hpp"

#include <algorithm>
#include <climits>

namespace weightio::npz {
namespace {

// A batch goes out when it holds this many bytes (one syscall per 16 MiB
// costs nothing measurable) or as many pieces as one writev takes.
constexpr uint64_t kBatchBytes = uint64_t{16} << 20;
constexpr size_t kBatchPieces = IOV_MAX;

} // namespace

void SinkOutput::copy(const void *data, size_t size) {
  const size_t start = headers_.size();
  headers_.append(static_cast<const char *>(data), size);
  // Consecutive copies (a header's fixed part, name, extra field) make one
  // piece: fewer iovecs for the kernel to walk.
  if (!batch_.empty() && batch_.back().data == nullptr &&
      batch_.back().offset + batch_.back().size == start) {
    batch_.back().size += size;
    batch_bytes_ += size;
    return;
  }
  add({nullptr, start, size});
}

void SinkOutput::refer(const void *data, size_t size) {
  const auto *p = static_cast<const uint8_t *>(data);
  while (size != 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(size, kBatchBytes));
    add({p, 0, n});
    p += n;
    size -= n;
  }
}

void SinkOutput::add(Piece p) {
  batch_.push_back(p);
  batch_bytes_ += p.size;
  if (batch_bytes_ >= kBatchBytes || batch_.size() >= kBatchPieces)
    flush();
}

void SinkOutput::flush() {
  if (batch_.empty())
    return;
  std::vector<wio_iovec> iov;
  iov.reserve(batch_.size());
  for (const Piece &p : batch_)
    iov.push_back({p.data ? p.data : headers_.data() + p.offset, p.size});
  sink_.writev(iov.data(), iov.size());
  batch_.clear();
  headers_.clear();
  batch_bytes_ = 0;
}

} // namespace weightio::npz
