#include "pickle_value.hpp"

#include <weightio/plugin_sdk.hpp>

namespace weightio::pytorch {

std::string_view kind_name(Kind kind) noexcept {
  switch (kind) {
  case Kind::none:
    return "None";
  case Kind::boolean:
    return "bool";
  case Kind::integer:
  case Kind::big_integer:
    return "int";
  case Kind::floating:
    return "float";
  case Kind::string:
    return "str";
  case Kind::bytes:
    return "bytes";
  case Kind::tuple:
    return "tuple";
  case Kind::list:
    return "list";
  case Kind::dict:
    return "dict";
  case Kind::set:
    return "set";
  case Kind::global:
    return "global";
  case Kind::storage:
    return "storage";
  case Kind::tensor:
    return "tensor";
  case Kind::refused:
    return "unsupported tensor";
  case Kind::opaque:
    return "object";
  }
  return "object";
}

std::string_view value_name(const Node &node) noexcept {
  if (node.kind == Kind::big_integer)
    return "int beyond 64 bits";
  if (node.kind != Kind::opaque)
    return kind_name(node.kind);
  switch (static_cast<Opaque>(node.a)) {
  case Opaque::complex:
    return "complex";
  case Opaque::device:
    return "torch.device";
  case Opaque::bytearray:
    return "bytearray";
  case Opaque::layout:
    return "torch layout";
  }
  return "object";
}

Ref Objects::add(Node node) {
  // Refs are 32 bits: past that, whatever the option says, is over it.
  const uint64_t cap = max_objects_ != 0 && max_objects_ < UINT32_MAX ? max_objects_ : UINT32_MAX;
  if (nodes_.size() >= cap)
    sdk::over_limit("pickle objects", nodes_.size() + 1, cap, "max_pickle_objects");
  if (is_container(node.kind)) {
    node.a = lists_.size();
    lists_.emplace_back();
  }
  nodes_.push_back(node);
  return static_cast<Ref>(nodes_.size() - 1);
}

} // namespace weightio::pytorch
