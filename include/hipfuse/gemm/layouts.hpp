// Operand layouts of the block-scale GEMM, as types: passing one layout where another is expected
// does not compile.
//   A      fp8 [M, K], row stride lda (elements), K-major.
//   A scales [M, K/128] per 1x128 group, any hipfuse::scale_layout (the quantization's types):
//          row_major (sa[m·ld + kb], ld >= K/128), column_major (sa[kb·ld + m], ld >= M),
//          column_major_aligned4 (ld = align(M, 4), DeepGEMM/sglang), ue8m0_packed_column_major.
//   B      fp8 [N, K]: b_standard (row stride ldb, K-major) or b_preshuffled (aiter's
//          shuffle_weight(w, (16, 16)): bytes ordered [N/16][K/32][2][16][16], see preshuffle.hpp).
//   B scales [ceil(N/128), K/128] row-major, one per 128x128 block.
// Scales are float or ue8m0 (power of two, value 2^(bits-127)).
#pragma once
#include <cstdint>
#include "../config.hpp"
#include "../numeric/ue8m0.hpp"
#include "../quant/scale_layout.hpp"

namespace hipfuse {
namespace gemm {

HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float scale_value(float s) { return s; }
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float scale_value(ue8m0 s) { return to_float(s); }

// A's scale layouts are the quantization's (quant/scale_layout.hpp), so group_quant's output
// feeds the GEMM as it is; short names for the two common ones:
using scale_row_major = scale_layout::row_major;     // [M, K/128], stride >= K/128
using scale_col_major = scale_layout::column_major;  // [K/128, M], stride >= M
using scale_layout::column_major_aligned4;           // [K/128, align(M, 4)]
using scale_layout::ue8m0_packed_column_major;       // int32 words of four UE8M0 codes along K

// A's 1x128 scales: scale_view<Layout, Scale> {data, stride}.
template <class Layout, class Scale>
using a_scale_operand = scale_view<Layout, Scale>;

// The scale of row m, k block kb, as the E8M0 code the scaled MFMA takes (ue8m0 views only).
template <class Layout>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint8_t scale_code(const scale_view<Layout, ue8m0>& v, std::int64_t m,
                                                               std::int64_t kb) {
  if constexpr (Layout::packed) {
    return reinterpret_cast<const unsigned char*>(v.data + Layout::offset(m, kb, v.stride))[kb % 4];
  } else {
    return v.data[Layout::offset(m, kb, v.stride)].bits;
  }
}

struct b_standard {
  static constexpr const char* name = "standard [N, K]";
  static constexpr int row_group = 1;
  // Fragment loads straight from global memory would touch a 128-byte line per row (16 bytes
  // used per load): this layout goes through shared memory.
  static constexpr bool direct_fragments = false;
  // Byte offset of the 16 bytes B[n][k .. k+15] (k a multiple of 16).
  HIPFUSE_HOST_DEVICE static constexpr std::int64_t chunk_offset(int n, int k, std::int64_t ld, int /*K*/) {
    return n * ld + k;
  }
  // The i-th 16-byte chunk a block loads from a rows×128 tile: consecutive i walk along k so that
  // neighbouring threads read neighbouring bytes.
  HIPFUSE_HOST_DEVICE static constexpr int chunk_row(int i) { return i / 8; }
  HIPFUSE_HOST_DEVICE static constexpr int chunk_k16(int i) { return i % 8; }
};

struct b_preshuffled {
  static constexpr const char* name = "preshuffled (16,16)";
  static constexpr int row_group = 16;
  // 16-byte fragment loads of 16 consecutive rows at one k read 256 contiguous bytes, so a tile
  // may load its B fragments straight into registers (tile_shape's BDirect).
  static constexpr bool direct_fragments = true;
  HIPFUSE_HOST_DEVICE static constexpr std::int64_t chunk_offset(int n, int k, std::int64_t /*ld*/, int K) {
    return static_cast<std::int64_t>(n / 16) * 16 * K + (k / 32) * 512 + ((k / 16) % 2) * 256 + (n % 16) * 16;
  }
  // Here 16 rows of one k16 chunk are contiguous (256 bytes), so consecutive i walk along n first.
  HIPFUSE_HOST_DEVICE static constexpr int chunk_row(int i) { return (i / 128) * 16 + i % 16; }
  HIPFUSE_HOST_DEVICE static constexpr int chunk_k16(int i) { return (i / 16) % 8; }
};

template <class Layout, class Fp8>
struct b_operand {
  using layout = Layout;
  const Fp8* ptr = nullptr;
  std::int64_t ld = 0;  // b_standard: row stride (elements); b_preshuffled: unused (K)
};

template <class Layout>
inline constexpr bool is_b_layout = false;
template <>
inline constexpr bool is_b_layout<b_standard> = true;
template <>
inline constexpr bool is_b_layout<b_preshuffled> = true;

}  // namespace gemm
}  // namespace hipfuse
