#include "pickle_writer.hpp"

#include <weightio/byte_io.hpp>

#include <algorithm>

namespace weightio::pytorch {
namespace {

// Opcodes (Lib/pickletools.py).
constexpr char kProto = '\x80';
constexpr char kStop = '.';
constexpr char kGlobal = 'c';
constexpr char kBinUnicode = 'X';
constexpr char kBinInt = 'J';
constexpr char kBinInt1 = 'K';
constexpr char kBinInt2 = 'M';
constexpr char kLong1 = '\x8a';
constexpr char kNewTrue = '\x88';
constexpr char kNewFalse = '\x89';
constexpr char kMark = '(';
constexpr char kTuple = 't';
constexpr char kEmptyTuple = ')';
constexpr char kTuple1 = '\x85';
constexpr char kReduce = 'R';
constexpr char kBinPersId = 'Q';
constexpr char kSetItem = 's';
constexpr char kSetItems = 'u';
constexpr char kBinPut = 'q';
constexpr char kLongBinPut = 'r';
constexpr char kBinGet = 'h';
constexpr char kLongBinGet = 'j';

// The pickler's batch size for dict items and list appends (_pickle.c).
constexpr uint64_t kBatchSize = 1000;

} // namespace

PickleWriter::PickleWriter() {
  opcode(kProto);
  out_.push_back('\x02');
}

void PickleWriter::put() {
  // Protocol 2 memoizes by explicit index: one byte while it fits.
  const uint64_t index = memo_size_++;
  if (index < 256) {
    opcode(kBinPut);
    out_.push_back(static_cast<char>(index));
  } else {
    opcode(kLongBinPut);
    sdk::append_le<uint32_t>(out_, static_cast<uint32_t>(index));
  }
}

void PickleWriter::get(uint64_t index) {
  if (index < 256) {
    opcode(kBinGet);
    out_.push_back(static_cast<char>(index));
  } else {
    opcode(kLongBinGet);
    sdk::append_le<uint32_t>(out_, static_cast<uint32_t>(index));
  }
}

void PickleWriter::global(std::string_view module, std::string_view name) {
  const auto key = std::make_pair(std::string(module), std::string(name));
  if (const auto it = globals_.find(key); it != globals_.end())
    return get(it->second);
  opcode(kGlobal);
  out_.append(module).push_back('\n');
  out_.append(name).push_back('\n');
  globals_.emplace(key, memo_size_);
  put();
}

void PickleWriter::text(std::string_view utf8) {
  opcode(kBinUnicode);
  sdk::append_le<uint32_t>(out_, static_cast<uint32_t>(utf8.size()));
  out_.append(utf8);
  put();
}

void PickleWriter::shared_text(std::string_view utf8) {
  if (const auto it = shared_.find(utf8); it != shared_.end())
    return get(it->second);
  shared_.emplace(std::string(utf8), memo_size_);
  text(utf8);
}

void PickleWriter::integer(uint64_t value) {
  if (value <= 0xFF) {
    opcode(kBinInt1);
    out_.push_back(static_cast<char>(value));
  } else if (value <= 0xFFFF) {
    opcode(kBinInt2);
    sdk::append_le<uint16_t>(out_, static_cast<uint16_t>(value));
  } else if (value <= 0x7FFFFFFF) {
    opcode(kBinInt);
    sdk::append_le<uint32_t>(out_, static_cast<uint32_t>(value));
  } else {
    // LONG1: little-endian two's complement of (bit length / 8) + 1 bytes,
    // as pickle's encode_long sizes it (a sign byte when the top bit of the
    // last byte is set).
    const int bits = 64 - __builtin_clzll(value);
    const int nbytes = bits / 8 + 1;
    opcode(kLong1);
    out_.push_back(static_cast<char>(nbytes));
    for (int i = 0; i < nbytes; ++i)
      out_.push_back(i < 8 ? static_cast<char>(value >> (8 * i)) : '\0');
  }
}

void PickleWriter::boolean(bool value) {
  opcode(value ? kNewTrue : kNewFalse);
}

void PickleWriter::begin_tuple(size_t n) {
  if (n > 3)
    opcode(kMark);
}

void PickleWriter::end_tuple(size_t n) {
  if (n == 0)
    return opcode(kEmptyTuple);
  // TUPLE1, TUPLE2, TUPLE3 are consecutive opcodes.
  opcode(n <= 3 ? static_cast<char>(kTuple1 + (n - 1)) : kTuple);
  put();
}

void PickleWriter::reduce() {
  opcode(kReduce);
  put();
}

void PickleWriter::persistent_id() {
  opcode(kBinPersId);
}

void PickleWriter::begin_items(uint64_t count) {
  items_ = count;
  item_ = 0;
}

void PickleWriter::begin_pair() {
  const uint64_t batch = std::min(kBatchSize, items_ - item_ / kBatchSize * kBatchSize);
  if (item_ % kBatchSize == 0 && batch > 1)
    opcode(kMark);
}

void PickleWriter::end_pair() {
  const uint64_t batch = std::min(kBatchSize, items_ - item_ / kBatchSize * kBatchSize);
  ++item_;
  if (item_ % kBatchSize == 0 || item_ == items_)
    opcode(batch > 1 ? kSetItems : kSetItem);
}

std::string PickleWriter::finish() {
  opcode(kStop);
  return std::move(out_);
}

} // namespace weightio::pytorch
