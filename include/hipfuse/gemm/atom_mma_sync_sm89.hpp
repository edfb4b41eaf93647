// NVIDIA atom: mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 (sm89 and later; on sm90 it
// runs below the full FP8 rate, which needs wgmma). Fragment layouts from the PTX ISA, section
// "Matrix Fragments for mma.m16n8k32" (.e4m3): with g = lane/4 and t = lane%4,
//   A a0..a15 (4 registers): row g (a0-a3, a8-a11) or g+8 (a4-a7, a12-a15),
//                            k = 4t + (i%4), plus 16 for a8..a15;
//   B b0..b7  (2 registers): col g, k = 4t + (i%4), plus 16 for b4..b7;
//   C c0..c3:                row g (c0, c1) or g+8 (c2, c3), col 2t + (i%2).
#pragma once
#include "../numeric/fp8.hpp"
#include "../platform/trap.hpp"
#include "atom.hpp"

namespace hipfuse {
namespace gemm {

struct atom_mma_sync_m16n8k32 {
  using fp8_type = float8_e4m3fn;
  static constexpr const char* name = "mma.sync.m16n8k32.e4m3";
  static constexpr int m = 16, n = 8, k = 32, lanes = 32;
  static constexpr int a_per_lane = 16, b_per_lane = 8, c_per_lane = 4;
  static constexpr int a_run = 4, b_run = 4;
  static constexpr bool scaled = false;
  using a_fragment = fp8_fragment<a_per_lane>;
  using b_fragment = fp8_fragment<b_per_lane>;
  using c_fragment = accumulator_fragment<c_per_lane>;

  HIPFUSE_HOST_DEVICE static constexpr row_k a_coord(int lane, int i) {
    return {lane / 4 + ((i / 4) % 2) * 8, (lane % 4) * 4 + (i % 4) + (i / 8) * 16};
  }
  HIPFUSE_HOST_DEVICE static constexpr row_k b_coord(int lane, int i) {
    return {lane / 4, (lane % 4) * 4 + (i % 4) + (i / 4) * 16};
  }
  HIPFUSE_HOST_DEVICE static constexpr row_col c_coord(int lane, int i) {
    return {lane / 4 + (i / 2) * 8, (lane % 4) * 2 + i % 2};
  }

  // The PTX tables read backwards: which lane and byte hold A[r][k], B[c][k], C[r][c].
  static void model(const a_fragment* a, const b_fragment* b, c_fragment* c) {
    auto a_at = [&](int r, int kk) {
      const int lane = (r % 8) * 4 + (kk % 16) / 4;
      const int byte = (kk / 16) * 8 + (r / 8) * 4 + kk % 4;
      return fp8_to_float(fp8_type{a[lane].byte(byte)});
    };
    auto b_at = [&](int col, int kk) {
      const int lane = col * 4 + (kk % 16) / 4;
      const int byte = (kk / 16) * 4 + kk % 4;
      return fp8_to_float(fp8_type{b[lane].byte(byte)});
    };
    for (int r = 0; r < m; ++r) {
      for (int col = 0; col < n; ++col) {
        float sum = 0.0f;
        for (int kk = 0; kk < k; ++kk) sum += a_at(r, kk) * b_at(col, kk);
        c[(r % 8) * 4 + col / 2].value[(r / 8) * 2 + col % 2] += sum;
      }
    }
  }

  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static void mma(c_fragment& c, const a_fragment& a, const b_fragment& b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c.value[0]), "+f"(c.value[1]), "+f"(c.value[2]), "+f"(c.value[3])
        : "r"(a.reg[0]), "r"(a.reg[1]), "r"(a.reg[2]), "r"(a.reg[3]), "r"(b.reg[0]), "r"(b.reg[1]));
#else
    (void)c, (void)a, (void)b;
    platform::trap("mma.sync e4m3 needs an NVIDIA GPU of sm89 or later");
#endif
  }
};

}  // namespace gemm
}  // namespace hipfuse
