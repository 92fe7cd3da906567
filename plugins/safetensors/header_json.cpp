#include "dtype_order.hpp"
#include "duplicates.hpp"
#include "header_error.hpp"
#include "header_parts.hpp"

#include <weightio/dtype_info.hpp>
#include <weightio/plugin_sdk.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

namespace weightio::safetensors {

namespace {

using nlohmann::json;

// serde_json, which the official reader uses, gives up at this nesting depth.
constexpr size_t kMaxDepth = 127;

std::string dtype_list() {
  std::string out;
  for (int32_t d : kWriterDTypeOrder) {
    if (!out.empty())
      out += ", ";
    out += sdk::dtype_info(d).name;
  }
  return out;
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
        return fail(tensor_ref() + ": unknown dtype " + sdk::quoted(v) +
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
        return fail("tensor " + sdk::quoted(k) + ": the name is " + std::to_string(k.size()) +
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
          return fail(tensor_ref() + ": field " + sdk::quoted(k) + " appears twice");
        f.slot = Slot::Ignored; // the official reader ignores unknown fields
        return true;
      }
      if ((f.fields & field) != 0)
        return fail(tensor_ref() + ": field " + sdk::quoted(k) + " appears twice");
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
        return fail("duplicate key " + sdk::quoted(k) + " inside " + tensor_ref());
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
        return fail("__metadata__ key " + sdk::quoted(*dup) + " appears twice");
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
      error_ = error_message(HeaderError::bad_json, "not valid JSON: " + std::string(what));
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
    error_ = error_message(HeaderError::bad_json, message);
    return false;
  }

  std::string tensor_ref() const { return "tensor " + sdk::quoted(cur_name_); }

  static const char *field_name(Slot s) { return s == Slot::ShapeElem ? "shape" : "data_offsets"; }

  bool type_error(Slot s, const char *found) {
    switch (s) {
    case Slot::TopLevel:
      return fail(std::string("the header must be a JSON object, found ") + found);
    case Slot::Tensor:
      return fail("tensor " + sdk::quoted(pending_name_) +
                  ": entry must be an object with dtype, shape and data_offsets, found " + found);
    case Slot::Metadata:
      return fail(std::string("__metadata__ must be an object of strings or null, found ") + found);
    case Slot::MetaValue:
      return fail("__metadata__ value for key " + sdk::quoted(meta_key_) +
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

} // namespace

void read_header_json(std::string_view text, const ParseLimits &limits, ParsedHeader &out) {
  HeaderSax sax(limits, out);
  if (!json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json, true, false))
    sdk::invalid_file(sax.error().empty() ? std::string(phrase(HeaderError::bad_json))
                                          : sax.error());
}

} // namespace weightio::safetensors
