// A tiny host for tests that need a fresh process: prints what the registry
// discovered ("loaded NAME PATH" / "failed PATH: WHY"), one per line.
#include <weightio/weightio.hpp>

#include <cstdio>

int main() {
  for (const auto &p : weightio::loaded_plugins())
    std::printf("loaded %s %s\n", p.name.c_str(), p.path.c_str());
  for (const auto &f : weightio::failed_plugins())
    std::printf("failed %s: %s\n", f.path.c_str(), f.error.c_str());
  return 0;
}
