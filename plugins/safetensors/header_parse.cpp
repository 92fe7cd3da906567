#include "header_parse.hpp"

#include "../common/utf8.hpp"
#include "dtype_order.hpp"
#include "duplicates.hpp"

#include <weightio/dtype_info.hpp>
#include <weightio/plugin_sdk.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_set>

namespace weightio::safetensors {

namespace {

using nlohmann::json;

// serde_json, which the official reader uses, gives up at this nesting depth.
constexpr size_t kMaxDepth = 127;

[[noreturn]] void refuse(std::string_view kind, const std::string &detail) {
  sdk::invalid_file(std::string(kind) + ": " + detail);
}

std::string dtype_list() {
  std::string out;
  for (int32_t d : kWriterDTypeOrder) {
    if (!out.empty())
      out += ", ";
    out += sdk::dtype_info(d).name;
  }
  return out;
}

std::string shape_text(const uint64_t *extents, uint32_t ndim) {
  std::string out = "[";
  for (uint32_t i = 0; i < ndim; ++i) {
    if (i != 0)
      out += ", ";
    out += std::to_string(extents[i]);
  }
  return out + "]";
}

// Duplicate-key detection for one JSON object. Most objects hold a handful of
// keys, where a linear scan beats hashing; big ones (large metadata, a hostile
// unknown field) switch to a hash set so the parse stays linear.
class KeySet {
public:
  // False when `key` was already present.
  bool insert(const std::string &key) {
    if (hashed_.empty()) {
      if (std::find(small_.begin(), small_.end(), key) != small_.end())
        return false;
      if (small_.size() < kSmall) {
        small_.push_back(key);
        return true;
      }
      hashed_.reserve(2 * kSmall);
      for (auto &k : small_)
        hashed_.insert(std::move(k));
      small_.clear();
    }
    return hashed_.insert(key).second;
  }

private:
  static constexpr size_t kSmall = 8;
  std::vector<std::string> small_;
  std::unordered_set<std::string> hashed_;
};

constexpr std::string_view kBadJson = "bad header JSON";

// What the next value in the document is, from where it appears.
enum class Slot : uint8_t {
  TopLevel,
  Tensor,      // a tensor entry under the top-level object
  Metadata,    // the value of "__metadata__"
  MetaValue,   // one metadata value
  DType,       // a tensor's "dtype"
  Shape,       // a tensor's "shape"
  ShapeElem,   // one extent
  Offsets,     // a tensor's "data_offsets"
  OffsetsElem, // one offset
  Ignored,     // anything inside a field the format does not define
};

enum class FrameKind : uint8_t {
  Root,
  Tensor,
  Metadata,
  Shape,
  Offsets,
  IgnoredObject,
  IgnoredArray
};

// The fields of a tensor entry, as bits of Frame::fields.
enum Field : uint8_t { kDType = 1, kShape = 2, kOffsets = 4 };

struct Frame {
  explicit Frame(FrameKind k) : kind(k) {}
  FrameKind kind;
  Slot slot = Slot::Ignored; // objects: what the current key's value is
  uint8_t fields = 0;        // tensor entries: the Field bits seen
  uint64_t count = 0;        // arrays: elements so far
  // Keys seen in unknown objects. Tensor names, metadata keys and the
  // fields of tensor entries, by far the most keys, are checked more cheaply.
  KeySet keys;
};

// Builds the tensor table straight from nlohmann's SAX events: no DOM, and
// every key of every object is seen, which is what duplicate detection needs
// (the DOM parser silently keeps the last duplicate).
class HeaderSax {
public:
  HeaderSax(const ParseLimits &limits, ParsedHeader &out) : limits_(limits), out_(out) {}

  const std::string &error() const { return error_; }

  bool null() {
    const Slot s = take_slot();
    if (s == Slot::Ignored || s == Slot::Metadata) // "__metadata__": null = none
      return true;
    return type_error(s, "null");
  }
  bool boolean(bool) {
    const Slot s = take_slot();
    return s == Slot::Ignored || type_error(s, "a boolean");
  }
  bool number_integer(int64_t) {
    // nlohmann reports only numbers written with a minus sign here; serde_json
    // refuses all of them for usize ("-0" included, it parses as a float).
    const Slot s = take_slot();
    if (s == Slot::Ignored)
      return true;
    if (s == Slot::ShapeElem || s == Slot::OffsetsElem)
      return fail(tensor_ref() + ": " + field_name(s) + " holds a negative number");
    return type_error(s, "a number");
  }
  bool number_unsigned(uint64_t v) {
    const Slot s = take_slot();
    switch (s) {
    case Slot::Ignored:
      return true;
    case Slot::ShapeElem:
      if (limits_.max_ndim != 0 && stack_.back().count > limits_.max_ndim)
        return fail(tensor_ref() + ": shape has more than " + std::to_string(limits_.max_ndim) +
                    " dimensions, the limit set by the caller (max_ndim)");
      out_.extents.push_back(v);
      return true;
    case Slot::OffsetsElem:
      if (stack_.back().count > 2)
        return fail(tensor_ref() + ": data_offsets must hold exactly two integers [begin, end]");
      (stack_.back().count == 1 ? cur_.begin : cur_.end) = v;
      return true;
    default:
      return type_error(s, "a number");
    }
  }
  bool number_float(double, const std::string &text) {
    const Slot s = take_slot();
    if (s == Slot::Ignored)
      return true;
    if (s == Slot::ShapeElem || s == Slot::OffsetsElem)
      return fail(tensor_ref() + ": " + field_name(s) + " holds " + text +
                  ", which is not an integer from 0 to 2^64-1");
    return type_error(s, "a number");
  }
  bool string(std::string &v) {
    const Slot s = take_slot();
    switch (s) {
    case Slot::Ignored:
      return true;
    case Slot::DType: {
      auto d = sdk::dtype_from_name(v);
      if (!d || !is_safetensors_dtype(*d))
        return fail(tensor_ref() + ": unknown dtype " + display_name(v) +
                    " (dtype names are case-sensitive; expected one of " + dtype_list() + ")");
      cur_.dtype = *d;
      return true;
    }
    case Slot::MetaValue:
      out_.metadata.emplace_back(std::move(meta_key_), std::move(v));
      return true;
    default:
      return type_error(s, "a string");
    }
  }
  bool binary(json::binary_t &) { return fail("unexpected binary value"); }

  bool start_object(size_t) {
    const Slot s = take_slot();
    switch (s) {
    case Slot::TopLevel:
      return push(FrameKind::Root);
    case Slot::Tensor:
      cur_ = TensorEntry{};
      cur_name_ = std::move(pending_name_);
      cur_.shape_pos = static_cast<uint32_t>(out_.extents.size());
      return push(FrameKind::Tensor);
    case Slot::Metadata:
      return push(FrameKind::Metadata);
    case Slot::Ignored:
      return push(FrameKind::IgnoredObject);
    default:
      return type_error(s, "an object");
    }
  }
  bool key(std::string &k) {
    Frame &f = stack_.back();
    switch (f.kind) {
    case FrameKind::Root:
      if (k == "__metadata__") {
        if (seen_metadata_)
          return fail("\"__metadata__\" appears twice");
        seen_metadata_ = true;
        f.slot = Slot::Metadata;
        return true;
      }
      ++tensor_count_;
      if (limits_.max_tensors != 0 && tensor_count_ > limits_.max_tensors)
        return fail("more than " + std::to_string(limits_.max_tensors) +
                    " tensors, the limit set by the caller (max_tensors)");
      if (limits_.max_name_bytes != 0 && k.size() > limits_.max_name_bytes)
        return fail("tensor " + display_name(std::string_view(k).substr(0, 64)) +
                    (k.size() > 64 ? "..." : "") + ": the name is " + std::to_string(k.size()) +
                    " bytes, longer than " + std::to_string(limits_.max_name_bytes) +
                    " bytes, the limit set by the caller (max_name_bytes)");
      pending_name_ = k;
      f.slot = Slot::Tensor;
      return true;
    case FrameKind::Tensor: {
      const Field field = k == "dtype"          ? kDType
                          : k == "shape"        ? kShape
                          : k == "data_offsets" ? kOffsets
                                                : Field{};
      if (field == Field{}) {
        if (!f.keys.insert(k))
          return fail(tensor_ref() + ": field " + display_name(k) + " appears twice");
        f.slot = Slot::Ignored; // the official reader ignores unknown fields
        return true;
      }
      if ((f.fields & field) != 0)
        return fail(tensor_ref() + ": field " + display_name(k) + " appears twice");
      f.fields |= field;
      f.slot = field == kDType ? Slot::DType : field == kShape ? Slot::Shape : Slot::Offsets;
      return true;
    }
    case FrameKind::Metadata:
      // Duplicates are found once the object is complete (end_object): a
      // hash set of 300,000 keys cost more than the rest of the parse.
      meta_key_ = k;
      f.slot = Slot::MetaValue;
      return true;
    default:
      if (!f.keys.insert(k))
        return fail("duplicate key " + display_name(k) + " inside " + tensor_ref());
      f.slot = Slot::Ignored;
      return true;
    }
  }
  bool end_object() {
    const Frame &f = stack_.back();
    if (f.kind == FrameKind::Tensor) {
      const char *missing = (f.fields & kDType) == 0     ? "dtype"
                            : (f.fields & kShape) == 0   ? "shape"
                            : (f.fields & kOffsets) == 0 ? "data_offsets"
                                                         : nullptr;
      if (missing != nullptr)
        return fail(tensor_ref() + ": missing field \"" + missing + "\"");
      cur_.name_pos = static_cast<uint32_t>(out_.names.size());
      cur_.name_size = static_cast<uint32_t>(cur_name_.size());
      out_.names += cur_name_;
      out_.tensors.push_back(cur_);
    } else if (f.kind == FrameKind::Metadata) {
      const auto &m = out_.metadata;
      if (auto dup =
              find_duplicate(m.size(), [&](size_t i) -> std::string_view { return m[i].first; }))
        return fail("__metadata__ key " + display_name(*dup) + " appears twice");
    }
    stack_.pop_back();
    return true;
  }
  bool start_array(size_t) {
    const Slot s = take_slot();
    switch (s) {
    case Slot::Shape:
      return push(FrameKind::Shape);
    case Slot::Offsets:
      return push(FrameKind::Offsets);
    case Slot::Ignored:
      return push(FrameKind::IgnoredArray);
    default:
      return type_error(s, "an array");
    }
  }
  bool end_array() {
    const Frame &f = stack_.back();
    if (f.kind == FrameKind::Offsets && f.count != 2)
      return fail(tensor_ref() + ": data_offsets must hold exactly two integers [begin, end]");
    if (f.kind == FrameKind::Shape)
      cur_.ndim = static_cast<uint32_t>(f.count);
    stack_.pop_back();
    return true;
  }
  bool parse_error(size_t, const std::string &, const json::exception &e) {
    if (error_.empty()) {
      // Drop nlohmann's "[json.exception.parse_error.101] " tag.
      std::string_view what = e.what();
      if (auto pos = what.find("] "); pos != std::string_view::npos)
        what.remove_prefix(pos + 2);
      error_ = std::string(kBadJson) + ": not valid JSON: " + std::string(what);
    }
    return false;
  }

private:
  Slot take_slot() {
    if (stack_.empty())
      return Slot::TopLevel;
    Frame &f = stack_.back();
    switch (f.kind) {
    case FrameKind::Shape:
      ++f.count;
      return Slot::ShapeElem;
    case FrameKind::Offsets:
      ++f.count;
      return Slot::OffsetsElem;
    case FrameKind::IgnoredArray:
      return Slot::Ignored;
    default:
      return f.slot;
    }
  }

  bool push(FrameKind k) {
    if (stack_.size() >= kMaxDepth)
      return fail("JSON nested more than " + std::to_string(kMaxDepth) + " levels deep");
    stack_.emplace_back(k);
    return true;
  }

  bool fail(std::string message) {
    error_ = std::string(kBadJson) + ": " + message;
    return false;
  }

  std::string tensor_ref() const { return "tensor " + display_name(cur_name_); }

  static const char *field_name(Slot s) { return s == Slot::ShapeElem ? "shape" : "data_offsets"; }

  bool type_error(Slot s, const char *found) {
    switch (s) {
    case Slot::TopLevel:
      return fail(std::string("the header must be a JSON object, found ") + found);
    case Slot::Tensor:
      return fail("tensor " + display_name(pending_name_) +
                  ": entry must be an object with dtype, shape and data_offsets, found " + found);
    case Slot::Metadata:
      return fail(std::string("__metadata__ must be an object of strings or null, found ") + found);
    case Slot::MetaValue:
      return fail("__metadata__ value for key " + display_name(meta_key_) +
                  " must be a string, found " + found);
    case Slot::DType:
      return fail(tensor_ref() + ": dtype must be a string, found " + found);
    case Slot::Shape:
    case Slot::ShapeElem:
      return fail(tensor_ref() + ": shape must be an array of non-negative integers, found " +
                  found);
    case Slot::Offsets:
    case Slot::OffsetsElem:
      return fail(tensor_ref() +
                  ": data_offsets must be an array of two non-negative integers, found " + found);
    case Slot::Ignored:
      break;
    }
    return true;
  }

  const ParseLimits &limits_;
  ParsedHeader &out_;
  std::vector<Frame> stack_;
  TensorEntry cur_;
  std::string cur_name_;
  bool seen_metadata_ = false;
  std::string pending_name_;
  std::string meta_key_;
  uint64_t tensor_count_ = 0;
  std::string error_;
};

uint64_t read_le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

// The official reader's Metadata::validate: in data order, each tensor must
// start where the previous one ended, and its byte span must be exactly what
// its shape and dtype need. Returns the end of the last tensor.
uint64_t validate_layout(const ParsedHeader &h) {
  const std::vector<uint64_t> &raw = h.extents;
  uint64_t start = 0;
  const TensorEntry *prev = nullptr;
  for (const TensorEntry &t : h.tensors) {
    const uint64_t *ext = raw.data() + t.shape_pos;
    // Messages are built only on failure: this loop runs once per tensor.
    auto ref = [&] { return "tensor " + display_name(h.name(t)); };
    auto offsets = [&] {
      return "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
    };
    auto desc = [&] {
      return std::string(sdk::dtype_info(t.dtype).name) + shape_text(ext, t.ndim);
    };

    if (t.end < t.begin)
      refuse("bad data_offsets", ref() + " has " + offsets() + ", which end before they begin");
    if (t.begin != start) {
      const std::string where = prev == nullptr
                                    ? std::string("the first tensor's data must begin at offset 0")
                                    : "it must begin at " + std::to_string(start) +
                                          ", where tensor " + display_name(h.name(*prev)) + " ends";
      const char *why = prev == nullptr   ? ""
                        : t.begin < start ? " (the tensors overlap)"
                                          : " (there is a gap between the tensors)";
      refuse("bad data_offsets", ref() + " has " + offsets() + " but " + where + why);
    }
    start = t.end;

    uint64_t numel = 1;
    for (uint32_t i = 0; i < t.ndim; ++i) {
      // int64 extents are what the ABI carries; only a zero-size tensor
      // could hold a larger one without overflowing below.
      if (ext[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        refuse("shape overflow",
               ref() + ": " + desc() +
                   " has an extent above 2^63-1, which weightio cannot represent");
      if (ext[i] != 0 && numel > UINT64_MAX / ext[i])
        refuse("shape overflow", ref() + ": the size of " + desc() + " overflows 64 bits");
      numel *= ext[i];
    }
    const uint64_t bits = sdk::dtype_info(t.dtype).bits;
    if (numel > UINT64_MAX / bits)
      refuse("shape overflow", ref() + ": the size of " + desc() + " overflows 64 bits");
    if ((numel * bits) % 8 != 0)
      refuse("partial byte", ref() + ": " + desc() + " is " + std::to_string(numel * bits) +
                                 " bits, which does not end on a byte boundary");
    const uint64_t need = numel * bits / 8;
    if (t.end - t.begin != need)
      refuse("tensor size mismatch", ref() + ": " + desc() + " needs " + std::to_string(need) +
                                         " bytes but its " + offsets() + " span " +
                                         std::to_string(t.end - t.begin));
    prev = &t;
  }
  return start;
}

} // namespace

std::string display_name(std::string_view name) {
  return json(std::string(name)).dump(-1, ' ', false, json::error_handler_t::replace);
}

ParsedHeader parse_header(std::span<const uint8_t> file, const ParseLimits &limits) {
  const uint64_t size = file.size();
  if (size < 8)
    refuse("file too small", "the file is " + std::to_string(size) +
                                 " bytes; a safetensors file starts with an 8-byte header length");
  ParsedHeader h;
  h.header_len = read_le64(file.data());
  uint64_t max_header = kMaxHeaderBytes;
  if (limits.max_header_bytes != 0 && limits.max_header_bytes < max_header)
    max_header = limits.max_header_bytes;
  if (h.header_len > max_header)
    refuse("header too large", "the header length is " + std::to_string(h.header_len) +
                                   " bytes, more than the limit of " + std::to_string(max_header) +
                                   " bytes");
  if (h.header_len > size - 8)
    refuse("header truncated", "the header length is " + std::to_string(h.header_len) +
                                   " bytes but only " + std::to_string(size - 8) +
                                   " bytes follow it; the file is cut short");
  h.data_start = 8 + h.header_len;

  const std::string_view text(reinterpret_cast<const char *>(file.data()) + 8, h.header_len);
  if (auto bad = common::first_invalid_utf8(text))
    refuse(
        "header not UTF-8", "invalid UTF-8 byte 0x" +
                                [](unsigned v) {
                                  const char *hex = "0123456789abcdef";
                                  return std::string{hex[v >> 4], hex[v & 15]};
                                }(static_cast<unsigned char>(text[*bad])) +
                                " at header offset " + std::to_string(*bad));
  // nlohmann skips a byte order mark; serde_json (and JSON) does not.
  if (text.starts_with("\xEF\xBB\xBF"))
    refuse(kBadJson, "not valid JSON: the header starts with a byte order mark");

  // nlohmann stops at a NUL byte as if the input ended there, which would
  // accept anything after it; JSON allows no raw NUL anywhere.
  if (auto nul = text.find('\0'); nul != std::string_view::npos)
    refuse(kBadJson, "not valid JSON: NUL byte at header offset " + std::to_string(nul));

  HeaderSax sax(limits, h);
  if (!json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json, true, false))
    sdk::invalid_file(sax.error().empty() ? std::string(kBadJson) : sax.error());
  // The last JSON-level check: the spec forbids repeating a key, and tensor
  // names are keys of the top-level object.
  if (auto dup = find_duplicate(h.tensors.size(),
                                [&](size_t i) -> std::string_view { return h.name(h.tensors[i]); }))
    refuse(kBadJson, "tensor " + display_name(*dup) +
                         " appears twice (the safetensors spec forbids duplicate names)");

  // The official reader sorts by (begin, end) and leaves ties (zero-size
  // tensors at one offset) in hash order; breaking them by name makes the
  // order repeatable and independent of how the header was written.
  std::sort(h.tensors.begin(), h.tensors.end(), [&h](const auto &a, const auto &b) {
    if (a.begin != b.begin)
      return a.begin < b.begin;
    if (a.end != b.end)
      return a.end < b.end;
    return h.name(a) < h.name(b);
  });
  const uint64_t data_end = validate_layout(h);
  if (data_end != size - h.data_start)
    refuse("data length mismatch",
           "the tensors cover " + std::to_string(data_end) + " bytes of data but " +
               std::to_string(size - h.data_start) + " bytes follow the header" +
               (data_end < size - h.data_start ? " (trailing bytes)" : " (data is missing)"));
  return h;
}

} // namespace weightio::safetensors
