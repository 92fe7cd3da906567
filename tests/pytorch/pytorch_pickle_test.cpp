// The pickle machine and the tree walk on hand-assembled pickles: what they
// build, and every way they refuse (naming the opcode, GLOBAL and offset),
// including bombs, which must fail fast and within the limits.
#include "checkpoint_tree.hpp"
#include "pickle_asm.hpp"
#include "pickle_machine.hpp"

#include <weightio/plugin_sdk.hpp>

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <memory>
#include <string_view>

namespace {

using namespace weightio::pytorch;
using pttest::Pickle;
using namespace std::string_view_literals;

struct Machine {
  std::string bytes;
  std::unique_ptr<Objects> objects;
  Ref top = 0;
  int32_t status = WIO_OK;
  std::string error;
};

std::unique_ptr<Machine> run(std::string bytes, const PickleLimits &limits = {}) {
  auto m = std::make_unique<Machine>();
  m->bytes = std::move(bytes);
  const std::span<const uint8_t> in(reinterpret_cast<const uint8_t *>(m->bytes.data()),
                                    m->bytes.size());
  m->objects = std::make_unique<Objects>(in, limits.max_pickle_objects);
  char buf[1024] = {};
  m->status = weightio::sdk::guard(
      buf, sizeof buf, [&] { m->top = PickleMachine(*m->objects, limits).run(0, in.size()); });
  m->error = buf;
  return m;
}

Tree walk(const Machine &m, TreeOptions opt = {}) {
  return walk_tree(*m.objects, m.top, opt);
}

// The message a walk refuses with ("" when it does not).
std::string walk_error(const Machine &m, TreeOptions opt = {}) {
  char buf[1024] = {};
  weightio::sdk::guard(buf, sizeof buf, [&] { walk(m, opt); });
  return buf;
}

void expect_refused(const Machine &m, int32_t status, std::initializer_list<const char *> parts) {
  EXPECT_EQ(m.status, status) << m.error;
  for (const char *p : parts)
    EXPECT_NE(m.error.find(p), std::string::npos) << "'" << p << "' not in: " << m.error;
}

TEST(PytorchPickle, BuildsContainersAndScalars) {
  Pickle p;
  p.op('}').put(0).mark();
  p.str("n").op(0x8a).op(2).raw("\xfe\xff");                      // LONG1 -2
  p.str("x").op('G').raw(std::string("\x3f\xf8\0\0\0\0\0\0", 8)); // 1.5
  p.str("l").op(']').mark().int1(1).op(0x88).op('N').op('e');
  p.str("t").int1(7).op(0x85);
  p.op('u').stop();
  const auto m = run(p.bytes());
  ASSERT_EQ(m->status, WIO_OK) << m->error;
  const Tree t = walk(*m);
  ASSERT_EQ(t.leaves.size(), 5u);
  const Objects &o = *m->objects;
  EXPECT_EQ(t.leaves[0].name, "n");
  EXPECT_EQ(static_cast<int64_t>(o[t.leaves[0].ref].a), -2);
  EXPECT_EQ(std::bit_cast<double>(o[t.leaves[1].ref].a), 1.5);
  EXPECT_EQ(t.leaves[2].name, "l.0");
  EXPECT_EQ(t.leaves[3].name, "l.1");
  EXPECT_EQ(t.leaves[4].name, "t.0");
  EXPECT_EQ(t.skipped_values, 1u); // the None
  EXPECT_EQ(t.skipped_kinds, "None");
}

TEST(PytorchPickle, TensorsShareStoragesByKey) {
  Pickle p;
  p.op('}').mark().str("a").tensor_v2("FloatStorage", "0", 12, 0, {3, 4}, {4, 1});
  p.str("b").tensor_v2("FloatStorage", "0", 12, 4, {4}, {1}).op('u').stop();
  const auto m = run(p.bytes());
  ASSERT_EQ(m->status, WIO_OK) << m->error;
  ASSERT_EQ(m->objects->storages.size(), 1u);
  ASSERT_EQ(m->objects->tensors.size(), 2u);
  EXPECT_EQ(m->objects->tensors[1].offset, 4u);
  EXPECT_EQ(m->objects->tensors[0].dtype, WIO_DTYPE_F32);
}

TEST(PytorchPickle, OneKeyTwoDtypesIsRefused) {
  Pickle p;
  p.op(']').mark().tensor_v2("FloatStorage", "0", 12, 0, {12}, {1});
  p.tensor_v2("DoubleStorage", "0", 12, 0, {12}, {1}).op('e').stop();
  expect_refused(*run(p.bytes()), WIO_ERR_INVALID_FILE,
                 {"inconsistent storage '0'", "FloatStorage", "DoubleStorage"});
}

TEST(PytorchPickle, RefusesOpcodesOutsideTheAllowlist) {
  expect_refused(*run(Pickle().raw("i__builtin__\nlist\n").stop().bytes()), WIO_ERR_INVALID_FILE,
                 {"INST (0x69) at offset 2", "not allowed"});
  expect_refused(*run(Pickle().mark().op('o').stop().bytes()), WIO_ERR_INVALID_FILE,
                 {"OBJ (0x6f) at offset 3"});
  expect_refused(*run(Pickle().int1(1).op('0').stop().bytes()), WIO_ERR_INVALID_FILE,
                 {"POP (0x30)"});
  expect_refused(*run(Pickle().raw("\x95\0\0\0\0\0\0\0\0"sv).stop().bytes()), WIO_ERR_INVALID_FILE,
                 {"FRAME (0x95) at offset 2"});
  expect_refused(*run(Pickle().op(0x07).bytes()), WIO_ERR_INVALID_FILE, {"byte 0x07"});
}

TEST(PytorchPickle, RefusesGlobalsOutsideTheAllowlist) {
  expect_refused(*run(Pickle().global("posix", "system").bytes()), WIO_ERR_INVALID_FILE,
                 {"pickle GLOBAL 'posix.system'", "at offset 2", "not allowed"});
  expect_refused(*run(Pickle().global("__builtin__", "eval").bytes()), WIO_ERR_INVALID_FILE,
                 {"'__builtin__.eval'"});
  Pickle getattr;
  getattr.global("__builtin__", "getattr").mark().str("x").str("y").op('t').op('R').stop();
  expect_refused(*run(getattr.bytes()), WIO_ERR_INVALID_FILE, {"'__builtin__.getattr'"});
  expect_refused(*run(Pickle().global("builtins", "exec").bytes()), WIO_ERR_INVALID_FILE,
                 {"'builtins.exec'"});
  // An allowed global that is data, not a callable.
  Pickle dtype;
  dtype.global("torch", "float32").op(')').op('R').stop();
  expect_refused(*run(dtype.bytes()), WIO_ERR_INVALID_FILE,
                 {"REDUCE of torch.float32", "never called"});
}

TEST(PytorchPickle, RefusesMisusedOpcodes) {
  expect_refused(*run(Pickle().op(']').str("k").int1(1).op('s').stop().bytes()),
                 WIO_ERR_INVALID_FILE, {"SETITEM (0x73) at offset 11", "list, not a dict"});
  expect_refused(*run(Pickle().op('}').int1(1).op('a').stop().bytes()), WIO_ERR_INVALID_FILE,
                 {"APPEND", "dict, not a list"});
  expect_refused(*run(Pickle().get(5).stop().bytes()), WIO_ERR_INVALID_FILE,
                 {"BINGET (0x68) at offset 2", "memo slot 5 was never set"});
  expect_refused(*run(Pickle().op('t').bytes()), WIO_ERR_INVALID_FILE, {"no MARK"});
  expect_refused(*run(Pickle().op('R').bytes()), WIO_ERR_INVALID_FILE, {"stack is empty"});
  expect_refused(*run(Pickle().int1(1).int1(2).stop().bytes()), WIO_ERR_INVALID_FILE, {"2 values"});
  expect_refused(*run(Pickle().op(']').op('}').op('b').stop().bytes()), WIO_ERR_INVALID_FILE,
                 {"BUILD of a list"});
  // A plain dict has no state either; an OrderedDict's is dropped.
  Pickle od;
  od.global("collections", "OrderedDict").op(')').op('R').op('}').op('b').stop();
  EXPECT_EQ(run(od.bytes())->status, WIO_OK);
}

TEST(PytorchPickle, RefusesTruncatedPickles) {
  expect_refused(*run(Pickle().op('J').raw("\x01\x02").bytes()), WIO_ERR_INVALID_FILE,
                 {"truncated pickle", "BININT (0x4a) at offset 2 needs 4 bytes"});
  expect_refused(*run(Pickle().int1(1).bytes()), WIO_ERR_INVALID_FILE,
                 {"truncated pickle", "without STOP"});
  expect_refused(*run(Pickle().raw("cposix").bytes()), WIO_ERR_INVALID_FILE,
                 {"ends inside its name"});
  expect_refused(*run(Pickle().raw("X\x10\0\0\0abc"sv).bytes()), WIO_ERR_INVALID_FILE,
                 {"BINUNICODE", "needs 16 bytes"});
}

TEST(PytorchPickle, StringsMustBeUtf8) {
  expect_refused(*run(Pickle().raw("X\x02\0\0\0\xc3\x28"sv).stop().bytes()), WIO_ERR_INVALID_FILE,
                 {"not valid UTF-8"});
}

TEST(PytorchPickle, BombsHitTheirLimitsFast) {
  const auto start = std::chrono::steady_clock::now();
  expect_refused(*run(Pickle().raw(std::string(1'000'000, '(')).bytes()), WIO_ERR_LIMIT,
                 {"pickle stack depth 65537 is over the limit 65536 (max_stack_depth)"});
  expect_refused(*run(Pickle().raw("X\xff\xff\xff\x7f").bytes()), WIO_ERR_LIMIT,
                 {"string bytes 2147483647 is over the limit", "(max_string_bytes)"});
  // 200k nested lists on the stack, then appended into one another.
  expect_refused(*run(Pickle().raw(std::string(200'000, ']')).bytes()), WIO_ERR_LIMIT,
                 {"(max_stack_depth)"});
  expect_refused(*run(Pickle().raw(std::string(300, ']') + std::string(299, 'a')).stop().bytes()),
                 WIO_ERR_LIMIT, {"container nesting 257 is over the limit 256 (max_nesting)"});
  PickleLimits small;
  small.max_memo_entries = 10;
  Pickle memo;
  memo.int1(1);
  for (int i = 0; i < 20; ++i)
    memo.put(static_cast<uint8_t>(i));
  expect_refused(*run(memo.stop().bytes(), small), WIO_ERR_LIMIT, {"(max_memo_entries)"});
  small.max_pickle_objects = 1000;
  Pickle many;
  many.op(']');
  for (int i = 0; i < 2000; ++i)
    many.op('}').op('a');
  expect_refused(*run(many.stop().bytes(), small), WIO_ERR_LIMIT, {"(max_pickle_objects)"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// Nesting the stack never sees: each dict is put into the one before it
// through the memo, and the stack stays flat. The walk refuses it.
TEST(PytorchPickle, NestingThroughTheMemoIsRefusedByTheWalk) {
  Pickle p;
  p.op(']').op('}').put(0).op('a'); // [d0]
  for (int i = 0; i < 200; ++i)
    p.get(static_cast<uint8_t>(i % 2))
        .str("k")
        .op('}')
        .put(static_cast<uint8_t>((i + 1) % 2))
        .op('s')
        .op('a'); // prev["k"] = new; list.append(prev)
  const auto m = run(p.stop().bytes());
  ASSERT_EQ(m->status, WIO_OK) << m->error;
  EXPECT_NE(walk_error(*m, {"", 100, 0, 0}).find("(max_nesting)"), std::string::npos);
}

// Shared sub-trees doubling 60 times: 2^60 paths. The walk stops at its
// work bound instead of running for ever.
TEST(PytorchPickle, ExplodingSharedTreeHitsTheWalksBound) {
  Pickle q;
  q.op(']').int1(0).put(0).op('a');
  for (int i = 0; i < 60; ++i)
    q.get(0).get(0).op(0x86).put(0).op('a'); // list.append(t = (prev, prev))
  const auto m = run(q.stop().bytes());
  ASSERT_EQ(m->status, WIO_OK) << m->error;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(walk_error(*m, {"", 0, 0, 0}).find("(tree_visits)"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(PytorchPickle, ACycleIsRefused) {
  const auto m = run(Pickle().op('}').put(0).str("self").get(0).op('s').stop().bytes());
  ASSERT_EQ(m->status, WIO_OK) << m->error;
  EXPECT_NE(walk_error(*m).find("'self': the container holds itself"), std::string::npos);
}

TEST(PytorchPickle, TwoPathsToOneNameAreRefused) {
  Pickle p;
  p.op('}').mark().str("a.b").int1(1).str("a").op('}').str("b").int1(2).op('s').op('u').stop();
  const auto m = run(p.bytes());
  ASSERT_EQ(m->status, WIO_OK) << m->error;
  EXPECT_NE(walk_error(*m).find("'a.b': two objects"), std::string::npos) << walk_error(*m);
}

TEST(PytorchPickle, KeysOtherThanStrAndIntAreSkippedAndCounted) {
  Pickle p;
  p.op('}').mark().int1(3).int1(1).int1(1).op(0x85).int1(2).op('N').int1(3);
  p.op(0x88).int1(4).op('u').stop();
  const auto m = run(p.bytes());
  ASSERT_EQ(m->status, WIO_OK) << m->error;
  const Tree t = walk(*m);
  ASSERT_EQ(t.leaves.size(), 1u);
  EXPECT_EQ(t.leaves[0].name, "3");
  EXPECT_EQ(t.skipped_keys, 3u); // (1,), None and True
}

TEST(PytorchPickle, UnsupportedTensorsAreRefusedByName) {
  Pickle p;
  p.op('}').str("q").global("torch._utils", "_rebuild_qtensor").mark().int1(1).op('t').op('R');
  p.op('s').stop();
  const auto m = run(p.bytes());
  ASSERT_EQ(m->status, WIO_OK) << m->error;
  EXPECT_NE(walk_error(*m).find("unsupported tensor 'q': a quantized tensor"), std::string::npos)
      << walk_error(*m);
  Pickle s;
  s.op('}').str("s").global("torch._utils", "_rebuild_sparse_tensor").op(')').op('R').op('s');
  const auto sparse = run(s.stop().bytes());
  EXPECT_NE(walk_error(*sparse).find("'s': a sparse tensor"), std::string::npos);
}

TEST(PytorchPickle, ModulePersistentIdsAreTorchScript) {
  Pickle p;
  p.mark().str("module").str("x").op('t').op('Q').stop();
  expect_refused(*run(p.bytes()), WIO_ERR_INVALID_FILE,
                 {"TorchScript", "('module', ...)", "BINPERSID"});
}

TEST(PytorchPickle, TensorArgumentsAreTypeChecked) {
  Pickle p;
  p.global("torch._utils", "_rebuild_tensor_v2").mark();
  p.storage("FloatStorage", "0", 4).int4(-1).dims({4}).dims({1}).op(0x89).op('N').op('t');
  expect_refused(*run(p.op('R').stop().bytes()), WIO_ERR_INVALID_FILE,
                 {"torch._utils._rebuild_tensor_v2", "storage offset -1", "REDUCE"});
  Pickle q;
  q.global("torch._utils", "_rebuild_tensor_v2").mark();
  q.storage("FloatStorage", "0", 4).int4(0).dims({4, 1}).dims({1}).op(0x89).op('N').op('t');
  expect_refused(*run(q.op('R').stop().bytes()), WIO_ERR_INVALID_FILE, {"2 dimensions"});
}

// The legacy format's sixth item: (view_key, offset, size) of the storage.
TEST(PytorchPickle, LegacyViewMetadataIsARangeOfItsStorage) {
  auto pid = [](int32_t offset, int32_t size) {
    Pickle p;
    p.mark().str("storage").global("torch", "FloatStorage").str("7").str("cpu").int4(10);
    p.mark().str("7v").int4(offset).int4(size).op('t').op('t').op('Q').stop();
    return p.bytes();
  };
  const auto m = run(pid(4, 6));
  ASSERT_EQ(m->status, WIO_OK) << m->error;
  ASSERT_EQ(m->objects->views.size(), 1u);
  EXPECT_EQ(m->objects->views[0].base, 4u);
  EXPECT_EQ(m->objects->views[0].numel, 6u);
  EXPECT_EQ(m->objects->storages.at(0).numel, 10u);
  expect_refused(*run(pid(4, 7)), WIO_ERR_INVALID_FILE, {"lies past its storage's 10"});
}

} // namespace
