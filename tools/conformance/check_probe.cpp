// probe: YES on the plugin's own files, NO on other formats' files and on
// random bytes, and safe on every length up to its declared probe size.
#include "isolated_check.hpp"
#include "samples.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace wcli::conformance {

namespace {

const char *answer(int32_t a) {
  return a == WIO_PROBE_YES      ? "YES"
         : a == WIO_PROBE_NO     ? "NO"
         : a == WIO_PROBE_UNSURE ? "UNSURE"
                                 : "?";
}

// Calls probe with exactly `n` bytes of `data` in a buffer of its own, so a
// sanitizer sees any read past them.
int32_t probe_exact(const wio_format &f, const uint8_t *data, size_t n) {
  std::unique_ptr<uint8_t[]> buf(new uint8_t[n]);
  std::copy(data, data + n, buf.get());
  return f.probe(buf.get(), n);
}

// Another plugin's format that is one of ours (same name or an extension in
// common, e.g. a second npz plugin): its files are ours too.
bool same_format(const Target &t, const weightio::FormatInfo &g) {
  for (const auto &f : t.info.formats) {
    if (f.name == g.name)
      return true;
    for (const auto &e : f.extensions)
      if (std::find(g.extensions.begin(), g.extensions.end(), e) != g.extensions.end())
        return true;
  }
  return false;
}

} // namespace

void check_probe(const Target &t, const KitOptions &o, std::vector<CheckResult> &out) {
  out.push_back(isolated_check("probe", limits_for(o), [&](Reporter &r) {
    // Files of every other loaded format that writes.
    std::vector<std::pair<std::string, std::vector<uint8_t>>> others;
    for (const auto &p : weightio::loaded_plugins()) {
      if (p.path == t.path)
        continue;
      for (const auto &g : p.formats)
        if (g.can_write && !same_format(t, g)) {
          try {
            others.emplace_back(
                g.name + " (plugin '" + p.name + "')",
                weightio::save_weights_to_memory(basic_case(g, o.seed).params,
                                                 basic_case(g, o.seed).save_options(g.name)));
          } catch (const std::exception &) {
            // a format that can't hold the basic case is not needed here
          }
        }
    }
    std::mt19937_64 rng(o.seed);
    size_t own = 0;
    for (const auto &f : t.info.formats) {
      if (!f.can_read)
        continue;
      const wio_format *raw = raw_format(t, f.name);
      if (!raw || !raw->probe) {
        r.fail(f.name + ": no probe function");
        continue;
      }
      const size_t need = f.probe_bytes;
      if (f.can_write) {
        r.step(f.name + ": its own file");
        auto c = basic_case(f, o.seed);
        const auto mine = weightio::save_weights_to_memory(c.params, c.save_options(f.name));
        const size_t n = std::min(mine.size(), need);
        if (int32_t a = probe_exact(*raw, mine.data(), n); a != WIO_PROBE_YES)
          r.fail(f.name + ": probe answers " + answer(a) + " on its own file (" +
                 std::to_string(n) + " leading bytes)");
        ++own;
        r.step(f.name + ": every length from 0 to " + std::to_string(n) + " bytes");
        for (size_t len = 0; len <= n; ++len) {
          const int32_t a = probe_exact(*raw, mine.data(), len);
          if (a != WIO_PROBE_YES && a != WIO_PROBE_NO && a != WIO_PROBE_UNSURE) {
            r.fail(f.name + ": probe returns " + std::to_string(a) + " given " +
                   std::to_string(len) + " bytes of its own file");
            break;
          }
        }
      }
      for (const auto &[who, bytes] : others) {
        r.step(f.name + ": a file of " + who);
        const size_t n = std::min(bytes.size(), need);
        const int32_t a = probe_exact(*raw, bytes.data(), n);
        if (a == WIO_PROBE_YES || (a == WIO_PROBE_UNSURE && n >= need) ||
            (a != WIO_PROBE_NO && a != WIO_PROBE_UNSURE))
          r.fail(f.name + ": probe answers " + answer(a) + " on a file of format " + who + " (" +
                 std::to_string(n) + " bytes)");
      }
      r.step(f.name + ": random bytes (seed " + std::to_string(o.seed) + ")");
      std::vector<uint8_t> noise(need);
      for (int i = 0; i < 16; ++i) {
        for (auto &b : noise)
          b = static_cast<uint8_t>(rng());
        const int32_t a = probe_exact(*raw, noise.data(), noise.size());
        if (a != WIO_PROBE_NO) {
          r.fail(f.name + ": probe answers " + answer(a) + " on " + std::to_string(need) +
                 " random bytes (seed " + std::to_string(o.seed) + ", buffer " + std::to_string(i) +
                 ")");
          break;
        }
      }
    }
    r.note("YES on " + std::to_string(own) + " own file(s), NO on " +
           std::to_string(others.size()) + " other formats' files and random bytes");
  }));
}

} // namespace wcli::conformance
