// The 128-byte swizzle of a K-major fp8 tile: rows of 128 bytes (one 128-k scale block), row r's
// 16-byte chunk c stored at chunk position c ^ (r % 8). Rows read together then fall on different
// shared-memory banks. It is also exactly the layout of CUDA's CU_TENSOR_MAP_SWIZZLE_128B tensor
// copies and of wgmma's 128-byte-swizzle operand descriptors on a 1024-byte-aligned tile, so the
// AMD/generic pipeline and the Hopper backend share this one definition.
#pragma once
#include "../config.hpp"

namespace hipfuse {
namespace gemm {

inline constexpr int swizzle_row_bytes = 128;

HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE constexpr int swizzled_offset(int row, int k) {
  return row * swizzle_row_bytes + ((((k >> 4) ^ row) & 7) << 4) + (k & 15);
}

}  // namespace gemm
}  // namespace hipfuse
