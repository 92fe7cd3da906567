#include "model/block_types.hpp"

#include <weightio/error.hpp>
#include <weightio/quoted.hpp>
#include <weightio/registry.hpp>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

namespace weightio {

namespace {

// Never destroyed: tensors anywhere may point at an entry.
struct Table {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<BlockType>, std::less<>> types;
};

Table &table() {
  static Table *t = new Table();
  return *t;
}

std::string check_geometry(std::string_view name, uint64_t elements, uint64_t bytes,
                           uint64_t alignment) {
  if (name.empty() || name.size() > 64)
    return "a block type name must be 1 to 64 bytes";
  const auto dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0 || name.back() == '.')
    return "block type " + sdk::quoted(name) + " is not namespaced (e.g. 'ggml.Q4_0')";
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok)
      return "block type " + sdk::quoted(name) +
             " has a character other than letters, digits, '_', '-' or '.'";
  }
  if (elements == 0 || elements > UINT32_MAX || bytes == 0)
    return "block type " + sdk::quoted(name) + " has an empty block";
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > 4096)
    return "block type " + sdk::quoted(name) + " has an alignment that is not a power of two";
  return {};
}

// The whole geometry, so that two declarations that differ show where.
std::string geometry(uint32_t elements, uint64_t bytes, uint64_t alignment) {
  return std::to_string(elements) + " elements in " + std::to_string(bytes) +
         " bytes, aligned to " + std::to_string(alignment);
}

const BlockType *enter(const std::string &name, uint32_t elements, uint64_t bytes,
                       uint64_t alignment, const std::string &who) {
  auto &t = table();
  std::lock_guard lock(t.mutex);
  auto it = t.types.find(name);
  if (it != t.types.end()) {
    const BlockType &old = *it->second;
    if (old.block_elements == elements && old.block_bytes == bytes && old.alignment == alignment)
      return &old;
    throw PluginError(ErrorCode::Plugin,
                      "block type " + sdk::quoted(name) + " is declared by " + old.declared_by +
                          " as " + geometry(old.block_elements, old.block_bytes, old.alignment) +
                          " and by " + who + " as " + geometry(elements, bytes, alignment));
  }
  auto b = std::make_unique<BlockType>(BlockType{name, elements, bytes, alignment, who});
  const BlockType *p = b.get();
  t.types.emplace(name, std::move(b));
  return p;
}

const BlockType *lookup(std::string_view name) {
  auto &t = table();
  std::lock_guard lock(t.mutex);
  auto it = t.types.find(name);
  return it == t.types.end() ? nullptr : it->second.get();
}

} // namespace

const BlockType *find_block_type(std::string_view name) {
  (void)loaded_plugins(); // discovery declares the plugins' types
  return lookup(name);
}

const BlockType *define_block_type(const std::string &name, uint32_t block_elements,
                                   uint64_t block_bytes, uint64_t alignment) {
  (void)loaded_plugins();
  if (auto why = check_geometry(name, block_elements, block_bytes, alignment); !why.empty())
    throw Error(ErrorCode::InvalidArgument, why);
  try {
    return enter(name, block_elements, block_bytes, alignment, "the host");
  } catch (const PluginError &e) {
    throw Error(ErrorCode::InvalidArgument, e.what());
  }
}

std::vector<const BlockType *> known_block_types() {
  (void)loaded_plugins();
  auto &t = table();
  std::lock_guard lock(t.mutex);
  std::vector<const BlockType *> out;
  for (auto &[name, b] : t.types)
    out.push_back(b.get());
  return out;
}

namespace detail {

std::string check_block_type(const wio_block_type *b) {
  if (b == nullptr)
    return "a block type is a null pointer";
  if (b->struct_size < offsetof(wio_block_type, alignment) + sizeof(uint64_t))
    return "a block type's struct_size is too small";
  if (b->name == nullptr || ::strnlen(b->name, 65) > 64)
    return "a block type has no name or one over 64 bytes";
  return check_geometry(b->name, b->block_elements, b->block_bytes,
                        b->alignment == 0 ? 1 : b->alignment);
}

const BlockType *declare_block_type(const wio_block_type &b, const std::string &declared_by) {
  return enter(b.name, b.block_elements, b.block_bytes, b.alignment == 0 ? 1 : b.alignment,
               declared_by);
}

} // namespace detail

} // namespace weightio
