#include "zip_output.hpp"

namespace weightio::npz {

// Every piece stays until flush(): the ZipWriter flushes after each deflated
// member and after the central directory, so a batch is a handful of pieces.
void SinkOutput::copy(const void *data, size_t size) {
  const size_t start = headers_.size();
  headers_.append(static_cast<const char *>(data), size);
  // Consecutive copies (a header's fixed part, name, extra field) make one
  // piece: fewer iovecs for the kernel to walk.
  if (!batch_.empty() && batch_.back().data == nullptr &&
      batch_.back().offset + batch_.back().size == start) {
    batch_.back().size += size;
    return;
  }
  batch_.push_back({nullptr, start, size});
}

void SinkOutput::refer(const void *data, size_t size) {
  batch_.push_back({data, 0, size});
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
}

} // namespace weightio::npz
