// A pickle machine that can only build data: containers, numbers, strings,
// and torch's tensors and storages, from the opcode and GLOBAL allowlists
// (pickle_ops.hpp, torch_globals.hpp). No callable is ever looked up or
// run: REDUCE, NEWOBJ and BUILD are interpreted by torch_rebuild.hpp for
// the few allowed globals, and refused for everything else. The machine is
// a loop over opcodes with an explicit stack, so no file controls the depth
// of any recursion, and every stack, memo, string and object count is
// bounded by PickleLimits before it grows.
#pragma once

#include "pickle_limits.hpp"
#include "pickle_value.hpp"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace weightio::pytorch {

class PickleMachine {
public:
  // Builds into `objects` (which may already hold the results of earlier
  // pickles of the same file: the legacy format is a sequence of them).
  PickleMachine(Objects &objects, const PickleLimits &limits) : o_(objects), limits_(limits) {}

  // Runs the pickle at input offsets [begin, end) up to its STOP and returns
  // what it built; `*after` (when not null) receives the offset after STOP.
  // Each run has a memo of its own, as each of Python's Unpicklers has.
  // Throws sdk::Failure: INVALID_FILE naming the opcode (or GLOBAL) and its
  // offset from `begin`, LIMIT (sdk::over_limit) naming the limit.
  // `budget`, when not 0, says `end` is where max_pickle_bytes runs out
  // (after `budget` bytes of pickles) rather than where the input does: a
  // pickle that needs more is refused as over that limit.
  Ref run(uint64_t begin, uint64_t end, uint64_t *after = nullptr, uint64_t budget = 0);

private:
  void step(uint8_t code);
  void push(Ref r);
  Ref pop();
  Ref top() const;
  std::vector<Ref> pop_to_mark();
  size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }

  const uint8_t *take(uint64_t n);
  void out_of_bytes() const;
  uint8_t u8() { return *take(1); }
  uint32_t u32();
  std::string_view line();
  Ref text(Kind kind, uint64_t size);
  Ref long1();
  void memo_put(uint64_t index);
  void memo_get(uint64_t index);

  void global();
  void insert(Ref container, Ref child);
  Ref container(Kind kind);
  Ref tuple_of(const std::vector<Ref> &items);
  template <class F> auto located(F &&f);
  [[noreturn]] void misuse(std::string_view what) const;

  Objects &o_;
  const PickleLimits &limits_;
  std::vector<Ref> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Ref> memo_;
  uint64_t begin_ = 0;
  uint64_t end_ = 0;
  uint64_t pos_ = 0;
  uint64_t op_ = 0; // the current opcode's input offset
  uint64_t budget_ = 0;
  uint8_t code_ = 0;
  bool stopped_ = false;
};

} // namespace weightio::pytorch
