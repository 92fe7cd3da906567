// contract.symbols, contract.descriptor, contract.coexist.
#include "elf_symbols.hpp"
#include "kit.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace wcli::conformance {

namespace {

namespace fs = std::filesystem;

bool plain_name(const char *s, bool allow_dot) {
  if (!s || !*s)
    return false;
  for (; *s; ++s)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
          (allow_dot && (*s == '.' || *s == '-'))))
      return false;
  return true;
}

bool block_name_ok(const char *s) {
  if (!s)
    return false;
  const size_t n = std::strlen(s);
  if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.' || !std::strchr(s, '.'))
    return false;
  return std::all_of(s, s + n, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

std::string quoted(const char *s) {
  return s ? "'" + std::string(s) + "'" : std::string("(null)");
}

// Everything wrong with one format descriptor, "; "-separated.
std::string format_problems(const wio_format &f) {
  std::string p;
  auto bad = [&](const std::string &what) { p += (p.empty() ? "" : "; ") + what; };
  const std::string who = "format " + quoted(f.name);
  if (!plain_name(f.name, false))
    bad(who + ": name is not lowercase letters, digits and '_'");
  if (!f.description || std::strchr(f.description, '\n'))
    bad(who + ": description missing or not one line");
  if (!f.extensions || !f.extensions[0])
    bad(who + ": declares no extension");
  else
    for (auto e = f.extensions; *e; ++e)
      if (!plain_name(*e, true) || (*e)[0] == '.')
        bad(who + ": extension " + quoted(*e) + " is not lowercase without a leading dot");
  if (!f.probe)
    bad(who + ": no probe function");
  if ((f.caps & WIO_CAP_READ) && !f.read)
    bad(who + ": declares reading but has no read function");
  if ((f.caps & WIO_CAP_WRITE) && !f.write)
    bad(who + ": declares writing but has no write function");
  if (!(f.caps & (WIO_CAP_READ | WIO_CAP_WRITE)))
    bad(who + ": neither reads nor writes");
  if ((f.caps & WIO_CAP_WRITE) && f.write_dtypes == 0 &&
      !WIO_HAS_FIELD(&f, wio_format, block_types))
    bad(who + ": writes but declares no dtype");
  if (f.write_dtypes >> WIO_DTYPE_COUNT_V1)
    bad(who + ": write_dtypes has bits for dtypes that do not exist");
  if (WIO_HAS_FIELD(&f, wio_format, probe_bytes) && f.probe_bytes > WIO_PROBE_MAX_BYTES)
    bad(who + ": probe_bytes " + std::to_string(f.probe_bytes) + " is over WIO_PROBE_MAX_BYTES");
  if (WIO_HAS_FIELD(&f, wio_format, block_type_count))
    for (size_t i = 0; i < f.block_type_count; ++i) {
      const wio_block_type *b = f.block_types ? f.block_types[i] : nullptr;
      if (!b) {
        bad(who + ": block type " + std::to_string(i) + " is null");
        continue;
      }
      if (!block_name_ok(b->name))
        bad(who + ": block type " + quoted(b->name) + " is not a namespaced name");
      if (b->block_elements == 0 || b->block_bytes == 0)
        bad(who + ": block type " + quoted(b->name) + " has an empty block");
      if (WIO_HAS_FIELD(b, wio_block_type, alignment) &&
          (b->alignment == 0 || (b->alignment & (b->alignment - 1)) != 0))
        bad(who + ": block type " + quoted(b->name) + " alignment is not a power of two");
    }
  if (WIO_HAS_FIELD(&f, wio_format, option_count))
    for (size_t i = 0; i < f.option_count; ++i) {
      const wio_option_decl *o = f.options ? f.options[i] : nullptr;
      if (!o) {
        bad(who + ": option " + std::to_string(i) + " is null");
        continue;
      }
      if (!plain_name(o->name, false) || std::strlen(o->name) > 64)
        bad(who + ": option name " + quoted(o->name) + " is not lowercase, digits and '_'");
      if (!o->default_value)
        bad(who + ": option " + quoted(o->name) + " has no default");
      if (o->type < WIO_OPTION_BOOL || o->type > WIO_OPTION_STRING)
        bad(who + ": option " + quoted(o->name) + " has an unknown type");
      if (!(o->flags & (WIO_OPTION_SAVE | WIO_OPTION_LOAD)))
        bad(who + ": option " + quoted(o->name) + " applies to neither save nor load");
      if (o->type == WIO_OPTION_INT && o->min > o->max)
        bad(who + ": option " + quoted(o->name) + " has min > max");
    }
  if (WIO_HAS_FIELD(&f, wio_format, write_limits) && f.write_limits) {
    const auto &l = *f.write_limits;
    if (l.max_ndim != 0 && l.min_ndim > l.max_ndim)
      bad(who + ": write limits have min_ndim > max_ndim");
  }
  return p;
}

std::string descriptor_problems(const wio_plugin *d) {
  if (!d)
    return "the entry function returned NULL";
  std::string p;
  auto bad = [&](const std::string &what) { p += (p.empty() ? "" : "; ") + what; };
  if (d->struct_size < sizeof(wio_plugin))
    bad("wio_plugin.struct_size " + std::to_string(d->struct_size) + " is smaller than the struct");
  if (d->abi_version < WEIGHTIO_ABI_MIN_VERSION || d->abi_version > WEIGHTIO_ABI_VERSION)
    bad("abi_version " + std::to_string(d->abi_version) + " is outside the host's range");
  if (!plain_name(d->name, false))
    bad("plugin name " + quoted(d->name) + " is not lowercase letters, digits and '_'");
  if (!d->version || !*d->version)
    bad("no plugin version");
  if (d->format_count == 0 || !d->formats)
    bad("no formats");
  else
    for (size_t i = 0; i < d->format_count; ++i) {
      if (!d->formats[i])
        bad("format " + std::to_string(i) + " is null");
      else if (auto fp = format_problems(*d->formats[i]); !fp.empty())
        bad(fp);
    }
  return p;
}

using Entry = wio_plugin_entry_fn;

Entry entry_of(void *handle) {
  void *sym = dlsym(handle, WEIGHTIO_PLUGIN_ENTRY_SYMBOL);
  Entry e;
  static_assert(sizeof e == sizeof sym);
  std::memcpy(&e, &sym, sizeof e);
  return e;
}

// Same names, versions and formats.
std::string compare_descriptors(const wio_plugin *a, const wio_plugin *b) {
  if (!a || !b)
    return "the entry function returned NULL";
  if (std::strcmp(a->name, b->name) != 0 || std::strcmp(a->version, b->version) != 0 ||
      a->format_count != b->format_count)
    return "name, version or format count differ";
  for (size_t i = 0; i < a->format_count; ++i)
    if (std::strcmp(a->formats[i]->name, b->formats[i]->name) != 0 ||
        a->formats[i]->caps != b->formats[i]->caps ||
        a->formats[i]->write_dtypes != b->formats[i]->write_dtypes)
      return "format " + quoted(a->formats[i]->name) + " differs";
  return {};
}

CheckResult symbols(const Target &t) {
  CheckResult r{"contract.symbols", Status::Pass, {}};
  try {
    auto syms = exported_symbols(t.path);
    std::vector<std::string> extra;
    bool entry = false;
    for (auto &s : syms) {
      if (s == WEIGHTIO_PLUGIN_ENTRY_SYMBOL)
        entry = true;
      else
        extra.push_back(s);
    }
    // Plain C names first: those are the ones a reader recognises.
    std::stable_partition(extra.begin(), extra.end(),
                          [](const std::string &s) { return s.rfind("_Z", 0) != 0; });
    if (!entry) {
      r.status = Status::Fail;
      r.detail = "does not export " WEIGHTIO_PLUGIN_ENTRY_SYMBOL;
    } else if (!extra.empty()) {
      r.status = Status::Fail;
      r.detail = "exports " + std::to_string(extra.size()) +
                 " symbols besides " WEIGHTIO_PLUGIN_ENTRY_SYMBOL " (extra exported symbols: ";
      for (size_t i = 0; i < extra.size() && i < 5; ++i)
        r.detail += (i ? ", " : "") + extra[i];
      r.detail += extra.size() > 5 ? ", ...)" : ")";
      r.detail += "; build with weightio_add_plugin() (hidden visibility and its version script)";
    } else {
      r.detail = "exports only " WEIGHTIO_PLUGIN_ENTRY_SYMBOL;
    }
  } catch (const std::exception &e) {
    r.status = Status::Fail;
    r.detail = e.what();
  }
  return r;
}

CheckResult descriptor(const Target &t, const KitOptions &o) {
  CheckResult r{"contract.descriptor", Status::Pass, {}};
  std::string p = descriptor_problems(t.descriptor);
  if (p.empty()) {
    const wio_plugin *again = entry_of(t.handle)(WEIGHTIO_ABI_VERSION);
    if (again != t.descriptor)
      if (auto diff = compare_descriptors(t.descriptor, again); !diff.empty())
        p = "a second call of the entry function gives another descriptor: " + diff;
  }
  if (p.empty()) {
    // A second copy of the file, loaded beside the first: a plugin must not
    // depend on being loaded once (global state, fixed paths).
    std::error_code ec;
    const fs::path copy_dir = o.work_dir / "copy";
    fs::create_directories(copy_dir, ec);
    const fs::path copy = copy_dir / t.path.filename();
    fs::copy_file(t.path, copy, fs::copy_options::overwrite_existing, ec);
    void *h = ec ? nullptr : dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h)
      p = std::string("a copy of the file does not load: ") + (ec ? ec.message() : dlerror());
    else if (auto diff = compare_descriptors(t.descriptor, entry_of(h)(WEIGHTIO_ABI_VERSION));
             !diff.empty())
      p = "a second copy of the library gives another descriptor: " + diff;
    // The copy stays loaded: plugins need not support unloading.
  }
  if (!p.empty()) {
    r.status = Status::Fail;
    r.detail = p;
  } else {
    r.detail = std::to_string(t.descriptor->format_count) + " format(s), ABI " +
               std::to_string(t.descriptor->abi_version) + "; loads twice consistently";
  }
  return r;
}

CheckResult coexist(const Target &t) {
  CheckResult r{"contract.coexist", Status::Pass, {}};
  for (const auto &f : weightio::failed_plugins())
    if (f.path == t.path) {
      r.status = Status::Fail;
      r.detail = "refused by the host: " + f.error;
      return r;
    }
  std::vector<std::string> shared;
  for (const auto &p : weightio::loaded_plugins()) {
    if (p.path == t.path)
      continue;
    for (const auto &of : p.formats)
      for (const auto &mine : t.info.formats) {
        for (const auto &e : mine.extensions)
          if (std::find(of.extensions.begin(), of.extensions.end(), e) != of.extensions.end())
            shared.push_back("'." + e + "' with plugin '" + p.name + "'");
        for (const auto *b : mine.block_types)
          for (const auto *ob : of.block_types)
            if (b->name == ob->name &&
                (b->block_bytes != ob->block_bytes || b->block_elements != ob->block_elements)) {
              r.status = Status::Fail;
              r.detail =
                  "block type '" + b->name + "' has another geometry in plugin '" + p.name + "'";
              return r;
            }
      }
  }
  r.detail = shared.empty() ? "no extension shared with the other loaded plugins"
                            : "shares " + shared.front() + (shared.size() > 1 ? " and more" : "") +
                                  " (declared: hosts choose with --plugin)";
  return r;
}

} // namespace

void check_contract(const Target &t, const KitOptions &o, std::vector<CheckResult> &out) {
  out.push_back(symbols(t));
  out.push_back(descriptor(t, o));
  out.push_back(coexist(t));
}

} // namespace wcli::conformance
