// The npz format's three entry points, behind plugin.cpp's descriptor.
#pragma once

#include <weightio/plugin_abi.h>

#include <cstddef>
#include <cstdint>

namespace weightio::npz {

// Writes the request's tensors as numpy.savez (stored) or savez_compressed
// (deflated) would. Throws sdk::Failure.
void write_npz(const wio_write_request &request);

// Reads every .npy member and emits it, in file order. Throws sdk::Failure.
void read_npz(const wio_read_request &request);

// YES for a ZIP whose first member is an .npy file, UNSURE for a ZIP whose
// first member name is out of view or an empty ZIP, NO otherwise.
int32_t probe_npz(const uint8_t *head, size_t size) noexcept;

} // namespace weightio::npz
