#include "pickle_machine.hpp"

#include "pickle_ops.hpp"
#include "pytorch_error.hpp"
#include "torch_rebuild.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

namespace weightio::pytorch {

namespace {

std::string at_offset(uint64_t offset) {
  return "at offset " + std::to_string(offset);
}

} // namespace

Ref PickleMachine::run(uint64_t begin, uint64_t end, uint64_t *after, uint64_t budget) {
  begin_ = pos_ = begin;
  budget_ = budget;
  end_ = end;
  stack_.clear();
  marks_.clear();
  memo_.clear();
  stopped_ = false;
  while (!stopped_) {
    if (pos_ >= end_) {
      out_of_bytes();
      refuse(PtError::truncated, "the pickle ends " + at_offset(end_ - begin_) + " without STOP");
    }
    op_ = pos_;
    code_ = o_.input()[pos_++];
    step(code_);
  }
  if (after != nullptr)
    *after = pos_;
  return stack_.back();
}

// Runs torch's meaning of the current opcode; its refusals gain the opcode
// and offset. A limit's message is left alone: it must end with the
// limit's name, as the ABI wants.
template <class F> auto PickleMachine::located(F &&f) {
  try {
    return f();
  } catch (const sdk::LimitExceeded &) {
    throw;
  } catch (const sdk::Failure &e) {
    if (e.status() != WIO_ERR_INVALID_FILE)
      throw;
    sdk::invalid_file(std::string(e.what()) + " (" + std::string(op::name(code_)) + " " +
                      at_offset(op_ - begin_) + ")");
  }
}

void PickleMachine::misuse(std::string_view what) const {
  refuse(PtError::pickle,
         op::describe(code_) + " " + at_offset(op_ - begin_) + ": " + std::string(what));
}

void PickleMachine::out_of_bytes() const {
  if (budget_ != 0)
    sdk::over_limit("pickle bytes", budget_ + 1, budget_, "max_pickle_bytes");
}

const uint8_t *PickleMachine::take(uint64_t n) {
  if (n > end_ - pos_) {
    out_of_bytes();
    refuse(PtError::truncated, op::describe(code_) + " " + at_offset(op_ - begin_) + " needs " +
                                   std::to_string(n) + " bytes of argument; the pickle has " +
                                   std::to_string(end_ - pos_) + " left");
  }
  const uint8_t *p = o_.input().data() + pos_;
  pos_ += n;
  return p;
}

uint32_t PickleMachine::u32() {
  return sdk::load_le<uint32_t>(take(4));
}

// A GLOBAL's newline-terminated name, bounded by max_string_bytes.
std::string_view PickleMachine::line() {
  const uint8_t *start = o_.input().data() + pos_;
  uint64_t avail = end_ - pos_;
  const uint64_t cap = limits_.max_string_bytes == 0 ? avail : limits_.max_string_bytes + 1;
  const auto *nl = static_cast<const uint8_t *>(
      std::memchr(start, '\n', static_cast<size_t>(std::min(avail, cap))));
  if (nl == nullptr) {
    if (avail >= cap)
      sdk::over_limit("GLOBAL name bytes", cap, limits_.max_string_bytes, "max_string_bytes");
    out_of_bytes();
    refuse(PtError::truncated,
           "GLOBAL " + at_offset(op_ - begin_) + ": the pickle ends inside its name");
  }
  const auto n = static_cast<size_t>(nl - start);
  pos_ += n + 1;
  return {reinterpret_cast<const char *>(start), n};
}

Ref PickleMachine::text(Kind kind, uint64_t size) {
  if (limits_.max_string_bytes != 0 && size > limits_.max_string_bytes)
    sdk::over_limit(kind == Kind::string ? "string bytes" : "bytes object bytes", size,
                    limits_.max_string_bytes, "max_string_bytes");
  const uint64_t offset = pos_;
  const uint8_t *p = take(size);
  if (kind == Kind::string &&
      !sdk::is_utf8({reinterpret_cast<const char *>(p), static_cast<size_t>(size)}))
    misuse("the string is not valid UTF-8");
  return o_.add(kind, offset, size);
}

// LONG1: a little-endian two's complement integer of 0 to 255 bytes.
Ref PickleMachine::long1() {
  const uint8_t n = u8();
  const uint8_t *p = take(n);
  if (n > 8)
    return o_.add(Kind::big_integer);
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i)
    v |= uint64_t{p[i]} << (8 * i);
  if (n != 0 && n < 8 && (p[n - 1] & 0x80) != 0)
    v |= ~uint64_t{0} << (8 * n);
  return o_.add(Kind::integer, v);
}

void PickleMachine::push(Ref r) {
  if (limits_.max_stack_depth != 0 && stack_.size() + marks_.size() >= limits_.max_stack_depth)
    sdk::over_limit("pickle stack depth", stack_.size() + marks_.size() + 1,
                    limits_.max_stack_depth, "max_stack_depth");
  stack_.push_back(r);
}

Ref PickleMachine::pop() {
  if (stack_.size() <= fence())
    misuse("the stack is empty (above the last MARK)");
  const Ref r = stack_.back();
  stack_.pop_back();
  return r;
}

Ref PickleMachine::top() const {
  if (stack_.size() <= fence())
    misuse("the stack is empty (above the last MARK)");
  return stack_.back();
}

std::vector<Ref> PickleMachine::pop_to_mark() {
  if (marks_.empty())
    misuse("no MARK before it");
  const size_t mark = marks_.back();
  marks_.pop_back();
  std::vector<Ref> items(stack_.begin() + static_cast<ptrdiff_t>(mark), stack_.end());
  stack_.resize(mark);
  return items;
}

void PickleMachine::memo_put(uint64_t index) {
  const Ref value = top();
  auto it = memo_.find(index);
  if (it != memo_.end()) {
    it->second = value;
    return;
  }
  if (limits_.max_memo_entries != 0 && memo_.size() >= limits_.max_memo_entries)
    sdk::over_limit("pickle memo entries", memo_.size() + 1, limits_.max_memo_entries,
                    "max_memo_entries");
  memo_.emplace(index, value);
}

void PickleMachine::memo_get(uint64_t index) {
  auto it = memo_.find(index);
  if (it == memo_.end())
    misuse("memo slot " + std::to_string(index) + " was never set");
  push(it->second);
}

void PickleMachine::global() {
  const std::string_view module = line();
  const std::string_view name = line();
  const std::string spelled = std::string(module) + "." + std::string(name);
  const auto ref = resolve_global(module, name);
  if (!ref)
    refuse(PtError::global,
           at_offset(op_ - begin_) +
               " is not allowed: weightio builds only containers, numbers, strings and tensors "
               "from a pickle and runs no code",
           spelled);
  o_.globals.push_back({*ref, module, name});
  push(o_.add(Kind::global, o_.globals.size() - 1));
}

// Nesting as far as the machine sees it: the walk checks it again, since a
// container can grow after it was put inside another (through the memo).
void PickleMachine::insert(Ref container, Ref child) {
  const Node &c = o_[child];
  const uint32_t child_depth = is_container(c.kind) ? c.depth : 0;
  Node &p = o_[container];
  if (child_depth + 1 > p.depth) {
    p.depth = child_depth + 1;
    if (limits_.max_nesting != 0 && p.depth > limits_.max_nesting)
      sdk::over_limit("container nesting", p.depth, limits_.max_nesting, "max_nesting");
  }
  o_.items(container).push_back(child);
}

Ref PickleMachine::container(Kind kind) {
  Ref r = o_.add(kind);
  o_[r].depth = 1;
  return r;
}

Ref PickleMachine::tuple_of(const std::vector<Ref> &items) {
  const Ref t = container(Kind::tuple);
  o_.items(t).reserve(items.size());
  for (Ref r : items)
    insert(t, r);
  return t;
}

void PickleMachine::step(uint8_t code) {
  switch (code) {
  case op::PROTO:
    if (u8() > 5)
      misuse("unknown protocol");
    return;
  case op::STOP:
    if (!marks_.empty() || stack_.size() != 1)
      misuse("the pickle stops with " + std::to_string(stack_.size()) + " values and " +
             std::to_string(marks_.size()) + " MARKs on the stack, not one value");
    stopped_ = true;
    return;
  case op::GLOBAL:
    return global();
  case op::REDUCE:
  case op::NEWOBJ: {
    const Ref args = pop();
    const Ref callable = pop();
    return push(
        located([&] { return call_global(o_, callable, args, code == op::NEWOBJ, limits_); }));
  }
  case op::BUILD: {
    const Ref state = pop();
    const Ref target = top();
    return located([&] { build_state(o_, target, state); });
  }
  case op::BINPERSID: {
    const Ref pid = pop();
    return push(located([&] { return persistent_load(o_, pid); }));
  }
  case op::MARK:
    if (limits_.max_stack_depth != 0 && stack_.size() + marks_.size() >= limits_.max_stack_depth)
      sdk::over_limit("pickle stack depth", stack_.size() + marks_.size() + 1,
                      limits_.max_stack_depth, "max_stack_depth");
    marks_.push_back(stack_.size());
    return;
  case op::TUPLE:
    return push(tuple_of(pop_to_mark()));
  case op::TUPLE1:
  case op::TUPLE2:
  case op::TUPLE3: {
    std::vector<Ref> items(code - op::TUPLE1 + 1);
    for (auto it = items.rbegin(); it != items.rend(); ++it)
      *it = pop();
    return push(tuple_of(items));
  }
  case op::EMPTY_TUPLE:
    return push(container(Kind::tuple));
  case op::EMPTY_LIST:
    return push(container(Kind::list));
  case op::EMPTY_DICT:
    return push(container(Kind::dict));
  case op::EMPTY_SET:
    return push(o_.add(Kind::set));
  case op::APPEND:
  case op::APPENDS: {
    std::vector<Ref> items = code == op::APPEND ? std::vector<Ref>{pop()} : pop_to_mark();
    const Ref list = top();
    if (o_[list].kind != Kind::list)
      misuse("appends to a " + std::string(kind_name(o_[list].kind)) + ", not a list");
    for (Ref r : items)
      insert(list, r);
    return;
  }
  case op::SETITEM:
  case op::SETITEMS: {
    std::vector<Ref> items;
    if (code == op::SETITEM) {
      const Ref value = pop();
      items = {pop(), value};
    } else {
      items = pop_to_mark();
    }
    if (items.size() % 2 != 0)
      misuse("an odd number of keys and values");
    const Ref dict = top();
    if (o_[dict].kind != Kind::dict)
      misuse("sets items of a " + std::string(kind_name(o_[dict].kind)) + ", not a dict");
    for (Ref r : items)
      insert(dict, r);
    return;
  }
  case op::ADDITEMS: {
    pop_to_mark(); // a set's items are never kept (no leaf is read from a set)
    if (o_[top()].kind != Kind::set)
      misuse("adds items to a " + std::string(kind_name(o_[top()].kind)) + ", not a set");
    return;
  }
  case op::NONE:
    return push(o_.add(Kind::none));
  case op::NEWTRUE:
  case op::NEWFALSE:
    return push(o_.add(Kind::boolean, code == op::NEWTRUE ? 1 : 0));
  case op::BININT:
    return push(o_.add(Kind::integer, static_cast<uint64_t>(int64_t{static_cast<int32_t>(u32())})));
  case op::BININT1:
    return push(o_.add(Kind::integer, u8()));
  case op::BININT2:
    return push(o_.add(Kind::integer, sdk::load_le<uint16_t>(take(2))));
  case op::LONG1:
    return push(long1());
  case op::BINFLOAT:
    return push(o_.add(Kind::floating, sdk::load<uint64_t>(take(8), sdk::ByteOrder::big)));
  case op::BINUNICODE:
    return push(text(Kind::string, u32()));
  case op::SHORT_BINSTRING: // torch.load decodes protocol-0 strings as UTF-8
    return push(text(Kind::string, u8()));
  case op::BINBYTES:
    return push(text(Kind::bytes, u32()));
  case op::SHORT_BINBYTES:
    return push(text(Kind::bytes, u8()));
  case op::BINGET:
    return memo_get(u8());
  case op::LONG_BINGET:
    return memo_get(u32());
  case op::BINPUT:
    return memo_put(u8());
  case op::LONG_BINPUT:
    return memo_put(u32());
  default:
    refuse(PtError::opcode, op::describe(code) + " " + at_offset(op_ - begin_) +
                                " is not allowed (weightio reads torch.save's protocol-2 "
                                "pickles, and builds only data from them)");
  }
}

} // namespace weightio::pytorch
