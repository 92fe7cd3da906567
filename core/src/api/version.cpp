#include <weightio/version.hpp>

namespace weightio {
const char *version() noexcept {
  return WEIGHTIO_VERSION_STRING;
}
} // namespace weightio
