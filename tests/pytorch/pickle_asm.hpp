// A tiny pickle assembler for the machine's tests: opcodes by hand, so a
// test shows exactly the bytes it feeds the machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pttest {

class Pickle {
public:
  Pickle() { bytes_ = std::string("\x80\x02", 2); }
  Pickle &raw(std::string_view b) {
    bytes_.append(b);
    return *this;
  }
  Pickle &op(uint8_t code) {
    bytes_.push_back(static_cast<char>(code));
    return *this;
  }
  Pickle &str(std::string_view s) {
    op('X');
    le32(static_cast<uint32_t>(s.size()));
    return raw(s);
  }
  Pickle &int1(uint8_t v) { return op('K').op(v); }
  Pickle &int4(int32_t v) {
    op('J');
    le32(static_cast<uint32_t>(v));
    return *this;
  }
  Pickle &global(std::string_view module, std::string_view name) {
    op('c').raw(module).raw("\n").raw(name);
    return raw("\n");
  }
  Pickle &put(uint8_t slot) { return op('q').op(slot); }
  Pickle &get(uint8_t slot) { return op('h').op(slot); }
  Pickle &mark() { return op('('); }
  Pickle &stop() { return op('.'); }
  // A tuple of small ints: (MARK, K.., TUPLE).
  Pickle &dims(std::initializer_list<int32_t> v) {
    mark();
    for (int32_t x : v)
      int4(x);
    return op('t');
  }
  // torch's ('storage', <module>.<cls>, key, 'cpu', numel) persistent id.
  Pickle &storage(std::string_view cls, std::string_view key, int32_t numel,
                  std::string_view module = "torch") {
    mark().str("storage").global(module, cls).str(key).str("cpu").int4(numel).op('t');
    return op('Q');
  }
  // _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).
  Pickle &tensor_v2(std::string_view cls, std::string_view key, int32_t numel, int32_t offset,
                    std::initializer_list<int32_t> size, std::initializer_list<int32_t> stride) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    storage(cls, key, numel).int4(offset).dims(size).dims(stride).op(0x89);
    return global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
  }
  const std::string &bytes() const { return bytes_; }

private:
  void le32(uint32_t v) {
    for (int i = 0; i < 4; ++i)
      bytes_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string bytes_;
};

} // namespace pttest
