// A host for the PyTorch reader's tests that calls read_pytorch directly
// (the weightio_pytorch_read library) and records what it emits: tensors
// with their storage, strides and flags, typed values and warnings. It
// gathers a tensor's bytes itself (MAPPED: the range; STRIDED: element by
// element from the declared storage), so the reader is tested whole before
// the host's side of ABI 3 can place STRIDED tensors.
#pragma once

#include "pytorch.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace pttest {

struct Emitted {
  std::string name;
  int32_t dtype = 0;
  std::vector<int64_t> shape;
  int32_t storage = 0;
  uint64_t offset = 0;
  uint64_t nbytes = 0;
  uint64_t storage_id = 0;
  uint64_t storage_offset = 0;
  uint64_t storage_size = 0;
  std::vector<int64_t> strides;
  uint64_t element_offset = 0;
  uint32_t flags = 0;
};

struct Value {
  int32_t type = 0;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;
};

struct ReadResult {
  int32_t status = WIO_OK;
  std::string error;
  std::vector<Emitted> tensors;
  std::map<std::string, Value> values;
  std::vector<std::string> warnings;
};

struct HostOptions {
  uint32_t flags = 0;
  std::vector<std::pair<std::string, std::string>> options; // beyond the defaults
  wio_read_limits limits{sizeof(wio_read_limits), 0, 0, 0, 0};
};

ReadResult read_checkpoint(const std::vector<uint8_t> &file, const HostOptions &host = {});

// The tensor's C-contiguous bytes, gathered from `file` as the host would
// (MAPPED range, or STRIDED from its storage), byte-swapped when flagged.
std::vector<uint8_t> gather(const std::vector<uint8_t> &file, const Emitted &t);

} // namespace pttest
