// Turning npy data into what the ABI hands out (C order, little-endian):
// byte swapping big-endian members and transposing Fortran-ordered ones.
#pragma once

#include <cstdint>
#include <vector>

namespace weightio::npz {

// Swaps each `unit`-byte group (2, 4 or 8; complex types swap each half).
void byteswap_in_place(void *data, uint64_t nbytes, unsigned unit);

// True when Fortran and C order put the elements in the same place: at most
// one extent is larger than 1 (0-D and 1-D arrays, which MLX flags
// fortran_order True, and arrays without elements).
bool fortran_is_c_order(const std::vector<int64_t> &shape);

// Copies a Fortran-ordered array of `shape` from src into C order in dst.
void fortran_to_c_order(const void *src, void *dst, const std::vector<int64_t> &shape,
                        unsigned element_size);

} // namespace weightio::npz
