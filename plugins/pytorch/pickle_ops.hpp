// Pickle opcodes (CPython's Lib/pickletools.py): the ones the machine runs,
// and the name of every opcode of protocols 0 to 5, so that a refusal names
// what it refused ("INST (0x69)").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::pytorch::op {

// Protocols 0 and 1 (only those torch's protocol-2 pickles use).
inline constexpr uint8_t MARK = '(';
inline constexpr uint8_t STOP = '.';
inline constexpr uint8_t BININT = 'J';
inline constexpr uint8_t BININT1 = 'K';
inline constexpr uint8_t BININT2 = 'M';
inline constexpr uint8_t NONE = 'N';
inline constexpr uint8_t BINPERSID = 'Q';
inline constexpr uint8_t REDUCE = 'R';
inline constexpr uint8_t SHORT_BINSTRING = 'U';
inline constexpr uint8_t BINUNICODE = 'X';
inline constexpr uint8_t APPEND = 'a';
inline constexpr uint8_t BUILD = 'b';
inline constexpr uint8_t GLOBAL = 'c';
inline constexpr uint8_t APPENDS = 'e';
inline constexpr uint8_t BINGET = 'h';
inline constexpr uint8_t LONG_BINGET = 'j';
inline constexpr uint8_t EMPTY_LIST = ']';
inline constexpr uint8_t BINPUT = 'q';
inline constexpr uint8_t LONG_BINPUT = 'r';
inline constexpr uint8_t SETITEM = 's';
inline constexpr uint8_t TUPLE = 't';
inline constexpr uint8_t SETITEMS = 'u';
inline constexpr uint8_t EMPTY_DICT = '}';
inline constexpr uint8_t EMPTY_TUPLE = ')';
inline constexpr uint8_t BINFLOAT = 'G';
// Protocol 2.
inline constexpr uint8_t PROTO = 0x80;
inline constexpr uint8_t NEWOBJ = 0x81;
inline constexpr uint8_t TUPLE1 = 0x85;
inline constexpr uint8_t TUPLE2 = 0x86;
inline constexpr uint8_t TUPLE3 = 0x87;
inline constexpr uint8_t NEWTRUE = 0x88;
inline constexpr uint8_t NEWFALSE = 0x89;
inline constexpr uint8_t LONG1 = 0x8a;
// Protocol 3: bytes objects (a checkpoint may hold some).
inline constexpr uint8_t BINBYTES = 'B';
inline constexpr uint8_t SHORT_BINBYTES = 'C';
// Protocol 4: sets.
inline constexpr uint8_t EMPTY_SET = 0x8f;
inline constexpr uint8_t ADDITEMS = 0x90;

struct OpName {
  uint8_t code;
  std::string_view name;
};

inline constexpr OpName kNames[] = {
    {'(', "MARK"},
    {'.', "STOP"},
    {'0', "POP"},
    {'1', "POP_MARK"},
    {'2', "DUP"},
    {'F', "FLOAT"},
    {'I', "INT"},
    {'J', "BININT"},
    {'K', "BININT1"},
    {'L', "LONG"},
    {'M', "BININT2"},
    {'N', "NONE"},
    {'P', "PERSID"},
    {'Q', "BINPERSID"},
    {'R', "REDUCE"},
    {'S', "STRING"},
    {'T', "BINSTRING"},
    {'U', "SHORT_BINSTRING"},
    {'V', "UNICODE"},
    {'X', "BINUNICODE"},
    {'a', "APPEND"},
    {'b', "BUILD"},
    {'c', "GLOBAL"},
    {'d', "DICT"},
    {'}', "EMPTY_DICT"},
    {'e', "APPENDS"},
    {'g', "GET"},
    {'h', "BINGET"},
    {'i', "INST"},
    {'j', "LONG_BINGET"},
    {'l', "LIST"},
    {']', "EMPTY_LIST"},
    {'o', "OBJ"},
    {'p', "PUT"},
    {'q', "BINPUT"},
    {'r', "LONG_BINPUT"},
    {'s', "SETITEM"},
    {'t', "TUPLE"},
    {')', "EMPTY_TUPLE"},
    {'u', "SETITEMS"},
    {'G', "BINFLOAT"},
    {'B', "BINBYTES"},
    {'C', "SHORT_BINBYTES"},
    {0x80, "PROTO"},
    {0x81, "NEWOBJ"},
    {0x82, "EXT1"},
    {0x83, "EXT2"},
    {0x84, "EXT4"},
    {0x85, "TUPLE1"},
    {0x86, "TUPLE2"},
    {0x87, "TUPLE3"},
    {0x88, "NEWTRUE"},
    {0x89, "NEWFALSE"},
    {0x8a, "LONG1"},
    {0x8b, "LONG4"},
    {0x8c, "SHORT_BINUNICODE"},
    {0x8d, "BINUNICODE8"},
    {0x8e, "BINBYTES8"},
    {0x8f, "EMPTY_SET"},
    {0x90, "ADDITEMS"},
    {0x91, "FROZENSET"},
    {0x92, "NEWOBJ_EX"},
    {0x93, "STACK_GLOBAL"},
    {0x94, "MEMOIZE"},
    {0x95, "FRAME"},
    {0x96, "BYTEARRAY8"},
    {0x97, "NEXT_BUFFER"},
    {0x98, "READONLY_BUFFER"},
};

// pickletools' name of any opcode, or "" for a byte that is none.
constexpr std::string_view name(uint8_t code) {
  for (const OpName &n : kNames)
    if (n.code == code)
      return n.name;
  return {};
}

// "INST (0x69)", or "byte 0x07" for a byte that is no opcode.
inline std::string describe(uint8_t code) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = "0x";
  hex += kHex[code >> 4];
  hex += kHex[code & 15];
  const std::string_view n = name(code);
  return n.empty() ? "byte " + hex : std::string(n) + " (" + hex + ")";
}

} // namespace weightio::pytorch::op
