#include "elf_symbols.hpp"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace wcli::conformance {

namespace {

template <class T>
T read_at(const std::vector<char> &bytes, uint64_t offset, const std::string &f) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T))
    throw std::runtime_error("'" + f + "': truncated ELF file");
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

} // namespace

std::vector<std::string> exported_symbols(const std::filesystem::path &file) {
  const std::string f = file.string();
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open '" + f + "'");
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  const auto eh = read_at<Elf64_Ehdr>(bytes, 0, f);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB)
    throw std::runtime_error("'" + f + "' is not an ELF64 little-endian file");
  if (eh.e_shentsize != sizeof(Elf64_Shdr))
    throw std::runtime_error("'" + f + "': unexpected section header size");
  std::vector<std::string> out;
  for (uint16_t i = 0; i < eh.e_shnum; ++i) {
    const auto sh = read_at<Elf64_Shdr>(bytes, eh.e_shoff + uint64_t{i} * sizeof(Elf64_Shdr), f);
    if (sh.sh_type != SHT_DYNSYM)
      continue;
    if (sh.sh_link >= eh.e_shnum || sh.sh_entsize != sizeof(Elf64_Sym))
      throw std::runtime_error("'" + f + "': malformed .dynsym");
    const auto strtab =
        read_at<Elf64_Shdr>(bytes, eh.e_shoff + uint64_t{sh.sh_link} * sizeof(Elf64_Shdr), f);
    for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
      const auto sym = read_at<Elf64_Sym>(bytes, sh.sh_offset + off, f);
      const unsigned bind = ELF64_ST_BIND(sym.st_info);
      const unsigned vis = ELF64_ST_VISIBILITY(sym.st_other);
      if (sym.st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK) ||
          (vis != STV_DEFAULT && vis != STV_PROTECTED))
        continue;
      // A version script's node names appear as absolute symbols of size 0.
      if (sym.st_shndx == SHN_ABS && sym.st_size == 0 && sym.st_value == 0)
        continue;
      if (sym.st_name >= strtab.sh_size)
        throw std::runtime_error("'" + f + "': symbol name outside .dynstr");
      const uint64_t start = strtab.sh_offset + sym.st_name;
      if (start >= bytes.size())
        throw std::runtime_error("'" + f + "': truncated ELF file");
      const char *name = bytes.data() + start;
      out.emplace_back(name, strnlen(name, bytes.size() - start));
    }
  }
  return out;
}

} // namespace wcli::conformance
