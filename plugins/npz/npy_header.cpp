#include "npy_header.hpp"

#include "../common/count_text.hpp"
#include "npz_error.hpp"

#include <weightio/byte_io.hpp>
#include <weightio/plugin_sdk.hpp>

#include <array>
#include <charconv>
#include <cstring>

namespace weightio::npz {
using common::count_of;
namespace {

constexpr char kMagic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};
// numpy/lib/format.py: ARRAY_ALIGN and GROWTH_AXIS_MAX_DIGITS.
constexpr size_t kArrayAlign = 64;
constexpr size_t kGrowthAxisMaxDigits = 21;

struct DescrEntry {
  int32_t dtype;
  std::string_view written; // what numpy writes
  char kind;                // the type code after the byte-order mark
  unsigned size;
};

constexpr std::array<DescrEntry, 15> kDescrs = {{
    {WIO_DTYPE_BOOL, "|b1", 'b', 1},
    {WIO_DTYPE_U8, "|u1", 'u', 1},
    {WIO_DTYPE_I8, "|i1", 'i', 1},
    {WIO_DTYPE_U16, "<u2", 'u', 2},
    {WIO_DTYPE_I16, "<i2", 'i', 2},
    {WIO_DTYPE_U32, "<u4", 'u', 4},
    {WIO_DTYPE_I32, "<i4", 'i', 4},
    {WIO_DTYPE_U64, "<u8", 'u', 8},
    {WIO_DTYPE_I64, "<i8", 'i', 8},
    {WIO_DTYPE_F16, "<f2", 'f', 2},
    {WIO_DTYPE_BF16, "<V2", 'V', 2},
    {WIO_DTYPE_F32, "<f4", 'f', 4},
    {WIO_DTYPE_F64, "<f8", 'f', 8},
    {WIO_DTYPE_C64, "<c8", 'c', 8},
    {WIO_DTYPE_C128, "<c16", 'c', 16},
}};

[[noreturn]] void bad(const std::string &what) {
  refuse(NpzError::npy_header, what);
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 80)) {
    if (c >= 0x20 && c < 0x7F)
      out.push_back(static_cast<char>(c));
    else
      out += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
  }
  return s.size() > 80 ? out + "..." : out;
}

// Maps a descr string to a dtype and byte order. Accepts what numpy and MLX
// write: '<' and '>' for multi-byte types, '|' (or either mark) for one-byte
// types, and '|V2' as well as '<V2' for bfloat16.
void descr_to_dtype(std::string_view descr, NpyHeader &h) {
  if (descr.size() >= 2 && descr[0] == '|' && descr[1] == 'O')
    bad("descr '" + printable(descr) + "' is an object (pickled) array; refused, never unpickled");
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '>' && descr[0] != '|'))
    bad("unsupported descr '" + printable(descr) + "'");
  const char order = descr[0];
  const std::string_view code = descr.substr(1);
  for (const auto &e : kDescrs) {
    if (code != e.written.substr(1))
      continue;
    const bool single = e.size == 1 || e.kind == 'V';
    if (order == '|' && !single)
      break;
    h.dtype = e.dtype;
    h.big_endian = order == '>' && e.size > 1;
    return;
  }
  bad("unsupported descr '" + printable(descr) +
      "' (npz holds bool, integers, floats, complex "
      "and bfloat16 as V2)");
}

// A recursive-descent parser for the one dict shape npy headers hold:
// {'descr': <str>, 'fortran_order': <bool>, 'shape': <tuple of ints>}, keys
// in any order, Python literal syntax (either quote, optional trailing commas,
// Python 2's 3L integers). Anything else, in particular any name or call, is
// refused.
class DictParser {
public:
  explicit DictParser(std::string_view text) : s_(text) {}

  void parse(NpyHeader &h, const NpyLimits &limits) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    std::string descr;
    expect('{');
    skip_ws();
    while (peek() != '}') {
      const std::string key = parse_string();
      skip_ws();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (have_descr)
          bad("duplicate key 'descr'");
        have_descr = true;
        if (peek() == '[')
          fail_here("descr is a structured dtype (not supported)");
        if (peek() != '\'' && peek() != '"')
          fail_here("descr is not a string literal");
        descr = parse_string();
      } else if (key == "fortran_order") {
        if (have_fortran)
          bad("duplicate key 'fortran_order'");
        have_fortran = true;
        h.fortran_order = parse_bool();
      } else if (key == "shape") {
        if (have_shape)
          bad("duplicate key 'shape'");
        have_shape = true;
        parse_shape(h.shape, limits);
      } else {
        bad("unexpected key '" + printable(key) + "'");
      }
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        skip_ws();
      } else if (peek() != '}') {
        fail_here("expected ',' or '}'");
      }
    }
    ++pos_;
    skip_ws();
    if (pos_ != s_.size())
      fail_here("unexpected text after the dict");
    if (!have_descr || !have_fortran || !have_shape)
      bad("the dict must hold 'descr', 'fortran_order' and 'shape'");
    descr_to_dtype(descr, h);
  }

private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  [[noreturn]] void fail_here(const std::string &what) const {
    if (pos_ >= s_.size())
      bad(what + " at the end of the header");
    bad(what + " at offset " + std::to_string(pos_) + " ('" + printable(s_.substr(pos_, 16)) +
        "'); the header must be a literal dict");
  }
  void expect(char c) {
    if (peek() != c)
      fail_here(std::string("expected '") + c + "'");
    ++pos_;
  }
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  // A quoted string without escapes: no descr or key numpy writes has one.
  std::string parse_string() {
    const char q = peek();
    if (q != '\'' && q != '"')
      fail_here("expected a quoted string");
    const size_t start = ++pos_;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\' || s_[pos_] == '\n')
        fail_here("unsupported character in a string");
      ++pos_;
    }
    if (pos_ >= s_.size())
      fail_here("unterminated string");
    return std::string(s_.substr(start, pos_++ - start));
  }
  bool parse_bool() {
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail_here("fortran_order must be True or False");
  }
  int64_t parse_int() {
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9')
      ++pos_;
    if (pos_ == start)
      fail_here("expected a non-negative integer");
    if (s_[start] == '0' && pos_ - start > 1)
      fail_here("integer with leading zeros");
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s_.data() + start, s_.data() + pos_, v);
    if (ec != std::errc() || p != s_.data() + pos_)
      bad("shape extent " + printable(s_.substr(start, pos_ - start)) + " is too large");
    if (peek() == 'L') // Python 2 long literal, as old numpy wrote
      ++pos_;
    return v;
  }
  void parse_shape(std::vector<int64_t> &shape, const NpyLimits &limits) {
    expect('(');
    skip_ws();
    bool comma_after_last = false;
    while (peek() != ')') {
      if (!shape.empty() && !comma_after_last)
        fail_here("expected ',' between shape extents");
      if (limits.max_ndim != 0 && shape.size() >= limits.max_ndim)
        sdk::over_limit("npy header: dimension count", shape.size() + 1, limits.max_ndim,
                        "max_ndim");
      shape.push_back(parse_int());
      skip_ws();
      comma_after_last = peek() == ',';
      if (comma_after_last) {
        ++pos_;
        skip_ws();
      } else if (peek() != ')') {
        fail_here("expected ',' or ')' in the shape");
      }
    }
    // "(3)" is an int in Python, not a tuple: numpy refuses it.
    if (shape.size() == 1 && !comma_after_last)
      bad("shape '(" + std::to_string(shape[0]) + ")' is not a tuple");
    ++pos_;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

} // namespace

std::optional<std::string_view> npy_descr(int32_t dtype) {
  for (const auto &e : kDescrs)
    if (e.dtype == dtype)
      return e.written;
  return std::nullopt;
}

void append_npy_header(std::string &out, std::string_view descr, const int64_t *shape,
                       uint32_t ndim) {
  // Python's "%s: %s, " % (key, repr(value)) over the sorted keys. One
  // allocation, no temporaries: a many-small save formats tens of thousands.
  constexpr std::string_view kHead = "{'descr': '", kMid = "', 'fortran_order': False, 'shape': (";
  std::string dict;
  dict.reserve(kHead.size() + descr.size() + kMid.size() + 24 * ndim + 8 + kGrowthAxisMaxDigits);
  dict += kHead;
  dict += descr;
  dict += kMid;
  size_t first_digits = 0;
  for (uint32_t i = 0; i < ndim; ++i) {
    if (i > 0)
      dict += ", ";
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, shape[i]);
    const size_t n = static_cast<size_t>(r.ptr - digits);
    if (i == 0)
      first_digits = n;
    dict.append(digits, n);
  }
  dict += ndim == 1 ? ",), }" : "), }";
  if (ndim > 0)
    dict.append(kGrowthAxisMaxDigits - first_digits, ' ');

  // numpy's _wrap_header: pad so that magic + length + dict + '\n' is a
  // multiple of 64 (a whole extra 64 when it already is), trying version 1.0
  // (a 2-byte length) first.
  const size_t hlen = dict.size() + 1;
  auto padding = [&](size_t len_bytes) {
    return kArrayAlign - ((sizeof kMagic + 2 + len_bytes + hlen) % kArrayAlign);
  };
  const bool v1 = hlen + padding(2) <= 0xFFFF;
  const size_t padlen = padding(v1 ? 2 : 4);
  out.append(kMagic, sizeof kMagic);
  out.push_back(v1 ? 1 : 2);
  out.push_back(0);
  if (v1)
    sdk::append_le<uint16_t>(out, static_cast<uint16_t>(hlen + padlen));
  else
    sdk::append_le<uint32_t>(out, static_cast<uint32_t>(hlen + padlen));
  out += dict;
  out.append(padlen, ' ');
  out.push_back('\n');
}

NpyPreamble parse_npy_preamble(std::span<const uint8_t> head) {
  if (head.size() < 8 || std::memcmp(head.data(), kMagic, sizeof kMagic) != 0)
    bad("not an npy file (no \\x93NUMPY magic)");
  NpyPreamble p;
  p.major = head[6];
  const uint8_t minor = head[7];
  if ((p.major != 1 && p.major != 2 && p.major != 3) || minor != 0)
    bad("unsupported npy format version " + std::to_string(p.major) + "." + std::to_string(minor));
  p.preamble_size = p.major == 1 ? 10 : 12;
  if (head.size() < p.preamble_size)
    bad("truncated npy header");
  const uint64_t dict_len = p.major == 1 ? sdk::load_le<uint16_t>(head.data() + 8)
                                         : sdk::load_le<uint32_t>(head.data() + 8);
  p.header_size = p.preamble_size + dict_len;
  return p;
}

NpyHeader parse_npy_dict(std::span<const uint8_t> dict, uint8_t major, const NpyLimits &limits) {
  // Versions 1.0 and 2.0 are latin-1 and 3.0 is UTF-8; every header we can
  // accept is ASCII, so any other byte fails in the parser either way.
  (void)major;
  NpyHeader h;
  std::string_view text(reinterpret_cast<const char *>(dict.data()), dict.size());
  DictParser(text).parse(h, limits);
  auto nbytes = sdk::checked_nbytes(h.dtype, h.shape.data(), static_cast<uint32_t>(h.shape.size()));
  if (!nbytes)
    bad("shape is too large");
  h.data_nbytes = *nbytes;
  return h;
}

} // namespace weightio::npz
