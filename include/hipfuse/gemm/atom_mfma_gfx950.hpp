// gfx950 (CDNA4) atoms: v_mfma_f32_16x16x128_f8f6f4 and v_mfma_f32_32x32x64_f8f6f4 with both
// operands OCP e4m3 (cbsz = blgp = 0), and their scaled forms v_mfma_scale_f32_*_f8f6f4, which
// multiply each operand by an E8M0 scale (2^(bits-127)) per lane, i.e. per 32-k block of one row.
// Each lane holds 32 fp8 values in 8 VGPRs: one row of A (one column of B) and a 32-long k block:
//   16x16x128: A row = lane%16, k = 32·(lane/16) + i;  C row = 4·(lane/16) + i, col = lane%16.
//   32x32x64:  A row = lane%32, k = 32·(lane/32) + i;  C row = 8·(i/4) + 4·(lane/32) + i%4, col = lane%32.
// The k order inside a lane follows composable_kernel's description of these instructions (one
// contiguous k block per lane, matching the 32-element scale blocks). A GEMM does not depend on it:
// A and B use the same k map (test_gemm_atoms checks that), so any k permutation the hardware
// applies is applied to both and cancels in the dot product; and hipfuse passes the same scale for
// all k blocks of a row within a 128-k block.
// clang has only the scaled builtins; with zero scale operands it emits the unscaled instruction.
#pragma once
#include <cstdint>
#include "../numeric/fp8.hpp"
#include "../numeric/bits.hpp"
#include "../platform/trap.hpp"
#include "atom.hpp"

namespace hipfuse {
namespace gemm {
namespace detail {

template <int M, int N, bool Scaled>
struct atom_mfma_f8f6f4 {
  using fp8_type = float8_e4m3fn;
  static constexpr int m = M, n = N, k = 2048 / M, lanes = 64;
  static constexpr int a_per_lane = 32, b_per_lane = 32, c_per_lane = M * N / 64;
  static constexpr int a_run = 32, b_run = 32;
  static constexpr bool scaled = Scaled;
  static constexpr int groups = 64 / M;  // lanes sharing a row, each with its own k block
  using a_fragment = fp8_fragment<a_per_lane>;
  using b_fragment = fp8_fragment<b_per_lane>;
  using c_fragment = accumulator_fragment<c_per_lane>;

  HIPFUSE_HOST_DEVICE static constexpr row_k a_coord(int lane, int i) { return {lane % M, 32 * (lane / M) + i}; }
  HIPFUSE_HOST_DEVICE static constexpr row_k b_coord(int lane, int i) { return {lane % N, 32 * (lane / N) + i}; }
  HIPFUSE_HOST_DEVICE static constexpr row_col c_coord(int lane, int i) {
    return M == 16 ? row_col{4 * (lane / 16) + i, lane % 16}
                   : row_col{8 * (i / 4) + 4 * (lane / 32) + i % 4, lane % 32};
  }

  // scale_a / scale_b: one E8M0 code per lane (ignored unless Scaled).
  static void model(const a_fragment* a, const b_fragment* b, c_fragment* c, const std::uint8_t* scale_a = nullptr,
                    const std::uint8_t* scale_b = nullptr) {
    for (int r = 0; r < M; ++r) {
      for (int col = 0; col < N; ++col) {
        float sum = 0.0f;
        for (int kk = 0; kk < k; ++kk) {
          const int a_lane = r + M * (kk / 32), b_lane = col + N * (kk / 32);
          float x = fp8_to_float(fp8_type{a[a_lane].byte(kk % 32)});
          float y = fp8_to_float(fp8_type{b[b_lane].byte(kk % 32)});
          if (Scaled) {
            x *= exp2_int(scale_a[a_lane] - 127);
            y *= exp2_int(scale_b[b_lane] - 127);
          }
          sum += x * y;
        }
        if (M == 16) {
          c[col + 16 * (r / 4)].value[r % 4] += sum;
        } else {
          c[col + 32 * ((r / 4) % 2)].value[4 * (r / 8) + r % 4] += sum;
        }
      }
    }
  }

  // scale_a / scale_b are this lane's E8M0 codes in the low byte (Scaled only).
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static void mma(c_fragment& c, const a_fragment& a, const b_fragment& b,
                                                         int scale_a = 0, int scale_b = 0) {
#if defined(__gfx950__)
    typedef int intx8 __attribute__((ext_vector_type(8)));
    typedef float floatx __attribute__((ext_vector_type(c_per_lane)));
    intx8 av, bv;
    for (int i = 0; i < 8; ++i) {
      av[i] = static_cast<int>(a.reg[i]);
      bv[i] = static_cast<int>(b.reg[i]);
    }
    floatx acc;
    for (int i = 0; i < c_per_lane; ++i) acc[i] = c.value[i];
    if constexpr (M == 16) {
      if constexpr (Scaled) {
        acc = __builtin_amdgcn_mfma_scale_f32_16x16x128_f8f6f4(av, bv, acc, 0, 0, 0, scale_a, 0, scale_b);
      } else {
        acc = __builtin_amdgcn_mfma_scale_f32_16x16x128_f8f6f4(av, bv, acc, 0, 0, 0, 0, 0, 0);
      }
    } else {
      if constexpr (Scaled) {
        acc = __builtin_amdgcn_mfma_scale_f32_32x32x64_f8f6f4(av, bv, acc, 0, 0, 0, scale_a, 0, scale_b);
      } else {
        acc = __builtin_amdgcn_mfma_scale_f32_32x32x64_f8f6f4(av, bv, acc, 0, 0, 0, 0, 0, 0);
      }
    }
    for (int i = 0; i < c_per_lane; ++i) c.value[i] = acc[i];
#else
    (void)c, (void)a, (void)b, (void)scale_a, (void)scale_b;
    platform::trap("v_mfma_*_f8f6f4 needs gfx950");
#endif
  }
};

}  // namespace detail

struct atom_mfma_16x16x128_f8f6f4 : detail::atom_mfma_f8f6f4<16, 16, false> {
  static constexpr const char* name = "v_mfma_f32_16x16x128_f8f6f4";
};
struct atom_mfma_32x32x64_f8f6f4 : detail::atom_mfma_f8f6f4<32, 32, false> {
  static constexpr const char* name = "v_mfma_f32_32x32x64_f8f6f4";
};
struct atom_mfma_scale_16x16x128_f8f6f4 : detail::atom_mfma_f8f6f4<16, 16, true> {
  static constexpr const char* name = "v_mfma_scale_f32_16x16x128_f8f6f4";
};
struct atom_mfma_scale_32x32x64_f8f6f4 : detail::atom_mfma_f8f6f4<32, 32, true> {
  static constexpr const char* name = "v_mfma_scale_f32_32x32x64_f8f6f4";
};

}  // namespace gemm
}  // namespace hipfuse
