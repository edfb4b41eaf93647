// gfx942 (CDNA3) atoms: v_mfma_f32_32x32x16_fp8_fp8 and v_mfma_f32_16x16x32_fp8_fp8, e4m3fnuz
// inputs, fp32 accumulation, 64 lanes. Layouts from the CDNA3 ISA guide (section "Matrix fused
// multiply-add", dependent-K layouts) and the AMD matrix instruction calculator: each lane holds 8
// consecutive k of one row of A (and of one column of B) in two VGPRs;
//   32x32x16: A row = lane%32, k = 8·(lane/32) + i; B col likewise;
//             C (16 VGPRs) row = 8·(i/4) + 4·(lane/32) + i%4, col = lane%32.
//   16x16x32: A row = lane%16, k = 8·(lane/16) + i; B col likewise;
//             C (4 VGPRs) row = 4·(lane/16) + i, col = lane%16.
#pragma once
#include "../numeric/fp8.hpp"
#include "../platform/trap.hpp"
#include "atom.hpp"

namespace hipfuse {
namespace gemm {

struct atom_mfma_32x32x16_fp8 {
  using fp8_type = float8_e4m3fnuz;
  static constexpr const char* name = "v_mfma_f32_32x32x16_fp8_fp8";
  static constexpr int m = 32, n = 32, k = 16, lanes = 64;
  static constexpr int a_per_lane = 8, b_per_lane = 8, c_per_lane = 16;
  static constexpr int a_run = 8, b_run = 8;
  static constexpr bool scaled = false;
  using a_fragment = fp8_fragment<a_per_lane>;
  using b_fragment = fp8_fragment<b_per_lane>;
  using c_fragment = accumulator_fragment<c_per_lane>;

  HIPFUSE_HOST_DEVICE static constexpr row_k a_coord(int lane, int i) { return {lane % 32, 8 * (lane / 32) + i}; }
  HIPFUSE_HOST_DEVICE static constexpr row_k b_coord(int lane, int i) { return {lane % 32, 8 * (lane / 32) + i}; }
  HIPFUSE_HOST_DEVICE static constexpr row_col c_coord(int lane, int i) {
    return {8 * (i / 4) + 4 * (lane / 32) + i % 4, lane % 32};
  }

  static void model(const a_fragment* a, const b_fragment* b, c_fragment* c) {
    for (int r = 0; r < m; ++r) {
      for (int col = 0; col < n; ++col) {
        float sum = 0.0f;
        for (int kk = 0; kk < k; ++kk) {
          sum += fp8_to_float(fp8_type{a[r + 32 * (kk / 8)].byte(kk % 8)}) *
                 fp8_to_float(fp8_type{b[col + 32 * (kk / 8)].byte(kk % 8)});
        }
        c[col + 32 * ((r / 4) % 2)].value[4 * (r / 8) + r % 4] += sum;
      }
    }
  }

  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static void mma(c_fragment& c, const a_fragment& a, const b_fragment& b) {
#if defined(__gfx942__)
    typedef float floatx16 __attribute__((ext_vector_type(16)));
    floatx16 acc;
    for (int i = 0; i < 16; ++i) acc[i] = c.value[i];
    const long av = static_cast<long>(a.reg[0] | (static_cast<unsigned long>(a.reg[1]) << 32));
    const long bv = static_cast<long>(b.reg[0] | (static_cast<unsigned long>(b.reg[1]) << 32));
    acc = __builtin_amdgcn_mfma_f32_32x32x16_fp8_fp8(av, bv, acc, 0, 0, 0);
    for (int i = 0; i < 16; ++i) c.value[i] = acc[i];
#else
    (void)c, (void)a, (void)b;
    platform::trap("v_mfma_f32_32x32x16_fp8_fp8 needs gfx942");
#endif
  }
};

struct atom_mfma_16x16x32_fp8 {
  using fp8_type = float8_e4m3fnuz;
  static constexpr const char* name = "v_mfma_f32_16x16x32_fp8_fp8";
  static constexpr int m = 16, n = 16, k = 32, lanes = 64;
  static constexpr int a_per_lane = 8, b_per_lane = 8, c_per_lane = 4;
  static constexpr int a_run = 8, b_run = 8;
  static constexpr bool scaled = false;
  using a_fragment = fp8_fragment<a_per_lane>;
  using b_fragment = fp8_fragment<b_per_lane>;
  using c_fragment = accumulator_fragment<c_per_lane>;

  HIPFUSE_HOST_DEVICE static constexpr row_k a_coord(int lane, int i) { return {lane % 16, 8 * (lane / 16) + i}; }
  HIPFUSE_HOST_DEVICE static constexpr row_k b_coord(int lane, int i) { return {lane % 16, 8 * (lane / 16) + i}; }
  HIPFUSE_HOST_DEVICE static constexpr row_col c_coord(int lane, int i) { return {4 * (lane / 16) + i, lane % 16}; }

  static void model(const a_fragment* a, const b_fragment* b, c_fragment* c) {
    for (int r = 0; r < m; ++r) {
      for (int col = 0; col < n; ++col) {
        float sum = 0.0f;
        for (int kk = 0; kk < k; ++kk) {
          sum += fp8_to_float(fp8_type{a[r + 16 * (kk / 8)].byte(kk % 8)}) *
                 fp8_to_float(fp8_type{b[col + 16 * (kk / 8)].byte(kk % 8)});
        }
        c[col + 16 * (r / 4)].value[r % 4] += sum;
      }
    }
  }

  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static void mma(c_fragment& c, const a_fragment& a, const b_fragment& b) {
#if defined(__gfx942__)
    typedef float floatx4 __attribute__((ext_vector_type(4)));
    floatx4 acc;
    for (int i = 0; i < 4; ++i) acc[i] = c.value[i];
    const long av = static_cast<long>(a.reg[0] | (static_cast<unsigned long>(a.reg[1]) << 32));
    const long bv = static_cast<long>(b.reg[0] | (static_cast<unsigned long>(b.reg[1]) << 32));
    acc = __builtin_amdgcn_mfma_f32_16x16x32_fp8_fp8(av, bv, acc, 0, 0, 0);
    for (int i = 0; i < 4; ++i) c.value[i] = acc[i];
#else
    (void)c, (void)a, (void)b;
    platform::trap("v_mfma_f32_16x16x32_fp8_fp8 needs gfx942");
#endif
  }
};

}  // namespace gemm
}  // namespace hipfuse
