// Where a ZipWriter's bytes go. Two ways, one per kind of save:
// - SinkOutput gathers a member's pieces into one writev call to the host's
//   sink, writing caller memory in place (deflated members: their compressed
//   buffers are written once, with no further copy).
// - StagedOutput copies everything into an sdk::StagedWriter's ring, from a
//   helper thread (stored members: see staged_writer.hpp for why).
#pragma once

#include <weightio/plugin_sdk.hpp>
#include <weightio/staged_writer.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace weightio::npz {

class ZipOutput {
public:
  virtual ~ZipOutput() = default;
  // Bytes that may be gone once this returns (headers built on the stack).
  virtual void copy(const void *data, size_t size) = 0;
  // Bytes that stay valid until the next flush() returns.
  virtual void refer(const void *data, size_t size) = 0;
  // Everything given so far is handed on.
  virtual void flush() = 0;
};

class SinkOutput final : public ZipOutput {
public:
  explicit SinkOutput(const sdk::Sink &sink) : sink_(sink) {}
  void copy(const void *data, size_t size) override;
  void refer(const void *data, size_t size) override;
  void flush() override;

private:
  // A piece of the next writev: bytes of headers_ (copied there, since the
  // arena may move as it grows) or caller memory.
  struct Piece {
    const void *data; // nullptr: headers_ from `offset`
    size_t offset;
    size_t size;
  };

  const sdk::Sink &sink_;
  std::string headers_;
  std::vector<Piece> batch_;
};

class StagedOutput final : public ZipOutput {
public:
  explicit StagedOutput(sdk::StagedWriter &staged) : staged_(staged) {}
  void copy(const void *data, size_t size) override { staged_.put(data, size); }
  // Tensor data: the progress counts it.
  void refer(const void *data, size_t size) override { staged_.put_data(data, size); }
  void flush() override {} // the StagedWriter writes each slot when it is full

private:
  sdk::StagedWriter &staged_;
};

} // namespace weightio::npz
