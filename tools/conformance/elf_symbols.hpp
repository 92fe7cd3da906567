// The symbols a shared object exports, read from its ELF dynamic symbol
// table (.dynsym), so the kit needs no external nm.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace wcli::conformance {

// Names of the defined, global or weak, default- or protected-visibility
// symbols in .dynsym (version-definition symbols excluded). Throws
// std::runtime_error naming the file when it is not a readable ELF64
// little-endian shared object.
std::vector<std::string> exported_symbols(const std::filesystem::path &file);

} // namespace wcli::conformance
