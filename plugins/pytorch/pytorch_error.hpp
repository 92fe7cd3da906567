// The closed set of ways the PyTorch reader refuses a checkpoint, beside the
// ZIP container's own (zip/zip_error.hpp), with one formatter:
// "<phrase>[ '<subject>']: <detail>" (common::kind_message). Limits are not
// here: they go through sdk::over_limit, as every plugin's do.
#pragma once

#include "../common/error_kind.hpp"

#include <weightio/plugin_sdk.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace weightio::pytorch {

enum class PtError : uint8_t {
  not_checkpoint,  // neither a torch zip archive nor a legacy checkpoint
  torchscript,     // a TorchScript archive (torch.jit.save), code not data
  missing_record,  // data.pkl, or a storage's record, is not in the archive
  deflated_record, // a record is compressed: torch writes them stored
  record_size,     // a storage record's size disagrees with its storage
  bad_record,      // byteorder or another small record holds what torch never writes
  opcode,          // a pickle opcode outside the allowlist
  global,          // a GLOBAL outside the allowlist
  pickle,          // a well-formed opcode used where pickle or torch does not allow it
  truncated,       // the pickle ends inside an opcode or without STOP
  persistent_id,   // a persistent id that is not torch's ('storage', ...) tuple
  storage,         // storages that disagree (one key, two dtypes or sizes)
  tensor,          // a tensor's arguments, geometry or storage are wrong
  unsupported,     // a tensor weightio does not read (quantized, sparse, a dtype it lacks)
  tree,            // the object tree: a name given twice, a cycle, a bad root
  legacy,          // the legacy format's header pickles or storage stream
  crc,             // a record's bytes disagree with its CRC-32 (checked by verify)
};

constexpr std::string_view phrase(PtError kind) {
  switch (kind) {
  case PtError::not_checkpoint:
    return "not a PyTorch checkpoint";
  case PtError::torchscript:
    return "a TorchScript archive, not a checkpoint";
  case PtError::missing_record:
    return "missing record";
  case PtError::deflated_record:
    return "compressed record";
  case PtError::record_size:
    return "record size mismatch";
  case PtError::bad_record:
    return "bad record";
  case PtError::opcode:
    return "pickle opcode";
  case PtError::global:
    return "pickle GLOBAL";
  case PtError::pickle:
    return "malformed pickle";
  case PtError::truncated:
    return "truncated pickle";
  case PtError::persistent_id:
    return "bad persistent id";
  case PtError::storage:
    return "inconsistent storage";
  case PtError::tensor:
    return "bad tensor";
  case PtError::unsupported:
    return "unsupported tensor";
  case PtError::tree:
    return "bad checkpoint tree";
  case PtError::legacy:
    return "bad legacy checkpoint";
  case PtError::crc:
    return "CRC-32 mismatch";
  }
  return "invalid PyTorch checkpoint";
}

// "<phrase>[ '<subject>']: <detail>"; the subject (a record, tensor or
// storage key from the file) is quoted by sdk::quoted.
inline std::string error_message(PtError kind, std::string_view detail,
                                 std::string_view subject = {}) {
  return common::kind_message(kind, detail, subject);
}

// Throws sdk::Failure(WIO_ERR_INVALID_FILE) with error_message().
[[noreturn]] inline void refuse(PtError kind, std::string_view detail,
                                std::string_view subject = {}) {
  sdk::invalid_file(error_message(kind, detail, subject));
}

} // namespace weightio::pytorch
