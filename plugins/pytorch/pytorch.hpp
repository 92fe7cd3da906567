// The PyTorch format's entry points, behind plugin.cpp's descriptor.
#pragma once

#include <weightio/plugin_abi.h>

#include <cstddef>
#include <cstdint>

namespace weightio::pytorch {

// Writes the request's tensors as torch 1.13's torch.save(state_dict) does:
// a zip archive of stored, 64-byte-aligned records, data.pkl (protocol 2),
// one storage record per tensor, `version` 3. Throws sdk::Failure.
void write_pytorch(const wio_write_request &request);

// Reads a zip-format or legacy checkpoint without running pickle and emits
// its tensors and scalar leaves. Throws sdk::Failure.
void read_pytorch(const wio_read_request &request);

// YES for a torch zip archive (its first record is <folder>/data.pkl) or a
// legacy checkpoint (protocol 2 and torch's magic number first), NO
// otherwise; UNSURE only when given too few bytes to tell.
int32_t probe_pytorch(const uint8_t *head, size_t size) noexcept;

} // namespace weightio::pytorch
