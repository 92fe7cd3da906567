// The registry as save/load use it: pick the plugin format for a path, a
// format name, or the first bytes of a file.
#pragma once

#include "registry/plugin_library.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace weightio::detail {

enum class Need { Read, Write, Any };

struct ResolvedFormat {
  std::shared_ptr<PluginLibrary> plugin; // keeps the library loaded
  const LoadedFormat *format = nullptr;
};

// By `format_name` when not empty, else by the path's extension. Throws
// PluginError naming `path`: unknown format (listing the known ones and the
// plugins that failed to load), two plugins claiming it, or the format can't
// do `need`. With `allow_unknown`, an unknown extension returns an empty
// result instead (the caller probes).
ResolvedFormat resolve_format(const std::filesystem::path &path, const std::string &format_name,
                              Need need, bool allow_unknown = false);

// The readable format whose probe says yes to `head`; empty if none. When
// formats of several plugins say yes, the one prefer_plugin() chose for its
// format name or an extension; without one, throws PluginError naming `file`
// and the plugins.
ResolvedFormat probe_format(const uint8_t *head, size_t size, const std::string &file);

// Whether `path` ends in an extension a readable format shares with others
// (wio_format.shared_extensions, ".bin"): its content, not its name, picks
// the reader.
bool content_decides(const std::filesystem::path &path);

// Names of the readable formats whose probe says yes to the file's first
// bytes (each given as many as it declared), for "looks like" hints.
std::vector<std::string> formats_recognising(const uint8_t *head, size_t size);

// For messages: " (known: .npz, .safetensors)", then each plugin that failed
// to load with its reason, the one named for `path`'s extension first.
std::string known_extensions(const std::filesystem::path &path);

} // namespace weightio::detail
