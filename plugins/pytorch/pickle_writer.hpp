// Emits pickle protocol 2 opcodes into a byte string, memoizing as CPython's
// C pickler (_pickle.Pickler) does, so that the bytes match what torch.save
// writes for the same objects. It knows nothing of tensors: the caller says
// which objects are shared (a GLOBAL, an interned string) and which are new.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace weightio::pytorch {

class PickleWriter {
public:
  // Starts with PROTO 2.
  PickleWriter();

  // `module name` as a GLOBAL, memoized: the same global again is a GET of
  // the first, as the pickler finds the class object in its memo.
  void global(std::string_view module, std::string_view name);

  // A str object of its own (BINUNICODE, then memoized). `utf8` must be
  // valid UTF-8; the caller checks.
  void text(std::string_view utf8);

  // A str that is one object wherever it appears (a literal in Python's
  // source, such as 'storage'): the first time written and memoized, later
  // a GET.
  void shared_text(std::string_view utf8);

  // A non-negative int: BININT1, BININT2, BININT or LONG1, the shortest the
  // pickler would pick.
  void integer(uint64_t value);

  void boolean(bool value); // NEWTRUE / NEWFALSE

  // A tuple of `n` items: call begin_tuple(n), write the items, end_tuple(n).
  // Empty tuples are EMPTY_TUPLE (never memoized), up to 3 items TUPLE1..3,
  // longer ones MARK ... TUPLE; non-empty ones are memoized.
  void begin_tuple(size_t n);
  void end_tuple(size_t n);

  // REDUCE of the callable and argument tuple on the stack; the result is
  // memoized.
  void reduce();

  // BINPERSID: the persistent id on the stack (already written and
  // memoized) names an object the unpickler's persistent_load provides.
  void persistent_id();

  // A dict's `count` items, in batches as the pickler sends them: MARK, up
  // to 1000 key-value pairs, SETITEMS; a batch of one pair is the pair and
  // SETITEM (no MARK). Call begin_items(count), then for each pair
  // begin_pair(), its key and value, end_pair().
  void begin_items(uint64_t count);
  void begin_pair();
  void end_pair();

  // STOP; the pickle is complete. Returns the bytes.
  std::string finish();

private:
  void put();
  void get(uint64_t index);
  void opcode(char op) { out_.push_back(op); }

  std::string out_;
  uint64_t memo_size_ = 0;
  // Memo indices of the globals and shared strings written so far.
  std::map<std::pair<std::string, std::string>, uint64_t, std::less<>> globals_;
  std::map<std::string, uint64_t, std::less<>> shared_;
  // The dict being written: its pairs, and how many were begun.
  uint64_t items_ = 0;
  uint64_t item_ = 0;
};

} // namespace weightio::pytorch
