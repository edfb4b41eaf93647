// NVIDIA Hopper atom: wgmma.mma_async.sync.aligned.m64nNk32.f32.e4m3.e4m3 (sm_90a), both operands
// from shared memory through 128-byte-swizzle descriptors, fp32 accumulators in registers.
//
// One instruction is issued by a warpgroup (4 consecutive warps, 128 threads) and computes a
// 64 × N × 32 product. Operand tiles are K-major with 128-byte rows (one 128-k scale block) in the
// layout of swizzle.hpp, 1024-byte aligned: exactly what a CU_TENSOR_MAP_SWIZZLE_128B copy writes.
// Step s of the 4 k steps of a row starts 32·s bytes into the row; the hardware applies the XOR
// swizzle on the address bits, so advancing the descriptor's start address by 32 bytes is enough.
//
// Accumulator layout (PTX ISA, "Register Fragments: wgmma .m64nNk32 D"): thread t of the
// warpgroup, warp w = t / 32, lane l; register i of N/2:
//   row = 16·w + l/4 + 8·((i/2) % 2),   col = 8·(i/4) + 2·(l % 4) + i % 2.
#pragma once
#include <cstdint>
#include "../numeric/fp8.hpp"
#include "../platform/trap.hpp"
#include "atom.hpp"
#include "swizzle.hpp"

namespace hipfuse {
namespace gemm {

// Whether this device pass can emit wgmma: sm_90a ("arch-specific" features), not plain sm_90.
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define HIPFUSE_HAS_WGMMA 1
#endif

// The 64-bit shared-memory matrix descriptor of wgmma (PTX ISA, "Matrix Descriptor Format"):
// bits 0-13 start address >> 4, 16-29 leading byte offset >> 4 (unused by K-major swizzled
// layouts: 1), 32-45 stride byte offset >> 4 (1024 bytes between 8-row groups), 62-63 swizzle
// mode (1 = 128-byte swizzle).
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE constexpr std::uint64_t wgmma_sw128_descriptor(std::uint32_t smem_address) {
  return (static_cast<std::uint64_t>((smem_address & 0x3FFFF) >> 4)) | (std::uint64_t{1} << 16) |
         (std::uint64_t{1024 >> 4} << 32) | (std::uint64_t{1} << 62);
}

template <int N>
struct wgmma_issue {
  static_assert(N == 16 || N == 32 || N == 64 || N == 128 || N == 192,
                "wgmma e4m3 wrappers exist for n = 16, 32, 64, 128 and 192");
};

#if defined(HIPFUSE_HAS_WGMMA)
template <>
struct wgmma_issue<16> {
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void issue(float (&d)[8], std::uint64_t desc_a, std::uint64_t desc_b, int accumulate) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %10, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n16k32.f32.e4m3.e4m3 {"
        "%0, %1, %2, %3, %4, %5, %6, %7"
        "}, %8, %9, p, 1, 1;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7])
        : "l"(desc_a), "l"(desc_b), "r"(accumulate));
  }
};
template <>
struct wgmma_issue<32> {
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void issue(float (&d)[16], std::uint64_t desc_a, std::uint64_t desc_b, int accumulate) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %18, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n32k32.f32.e4m3.e4m3 {"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15"
        "}, %16, %17, p, 1, 1;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
        : "l"(desc_a), "l"(desc_b), "r"(accumulate));
  }
};
template <>
struct wgmma_issue<64> {
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void issue(float (&d)[32], std::uint64_t desc_a, std::uint64_t desc_b, int accumulate) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3 {"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31"
        "}, %32, %33, p, 1, 1;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "l"(desc_a), "l"(desc_b), "r"(accumulate));
  }
};
template <>
struct wgmma_issue<128> {
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void issue(float (&d)[64], std::uint64_t desc_a, std::uint64_t desc_b, int accumulate) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 {"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63"
        "}, %64, %65, p, 1, 1;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
        : "l"(desc_a), "l"(desc_b), "r"(accumulate));
  }
};
template <>
struct wgmma_issue<192> {
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void issue(float (&d)[96], std::uint64_t desc_a, std::uint64_t desc_b, int accumulate) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %98, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n192k32.f32.e4m3.e4m3 {"
        "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
        "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
        "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
        "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
        "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95"
        "}, %96, %97, p, 1, 1;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
          "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
          "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
          "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
          "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
          "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
          "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
          "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
          "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
          "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
          "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
          "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95])
        : "l"(desc_a), "l"(desc_b), "r"(accumulate));
  }
};
#endif

template <int N>
struct atom_wgmma_m64k32 {
  using fp8_type = float8_e4m3fn;
  static constexpr const char* name =
      N == 192   ? "wgmma.m64n192k32.e4m3"
      : N == 128 ? "wgmma.m64n128k32.e4m3"
      : N == 64  ? "wgmma.m64n64k32.e4m3"
      : N == 32  ? "wgmma.m64n32k32.e4m3"
                 : "wgmma.m64n16k32.e4m3";
  static constexpr int m = 64, n = N, k = 32, threads = 128;
  static constexpr int c_per_thread = N / 2;

  // The C element held in accumulator register i of warpgroup thread t.
  HIPFUSE_HOST_DEVICE static constexpr row_col c_coord(int t, int i) {
    return {16 * (t / 32) + (t % 32) / 4 + 8 * ((i / 2) % 2), 8 * (i / 4) + 2 * (t % 4) + i % 2};
  }

  // Host model of one instruction: A rows [64] and B rows [N] of tiles in the swizzled layout
  // (a_tile at row a_row0, both at byte k_byte0 of their 128-byte rows, k_byte0 a multiple of 32).
  // Written from the instruction's definition D[r][c] += Σ_k A[r][k]·B[c][k] with the register
  // order read backwards from the PTX table: register (c/8)·4 + (r/8 % 2)·2 + c % 2 of thread
  // 32·(r/16) + 4·(r % 8) + (c % 8)/2.
  static void model(const std::uint8_t* a_tile, int a_row0, const std::uint8_t* b_tile, int k_byte0,
                    float (*d)[N / 2], bool accumulate) {
    for (int r = 0; r < m; ++r)
      for (int c = 0; c < N; ++c) {
        float sum = 0.0f;
        for (int kk = 0; kk < k; ++kk)
          sum += fp8_to_float(fp8_type{a_tile[swizzled_offset(a_row0 + r, k_byte0 + kk)]}) *
                 fp8_to_float(fp8_type{b_tile[swizzled_offset(c, k_byte0 + kk)]});
        const int thread = 32 * (r / 16) + 4 * (r % 8) + (c % 8) / 2;
        const int reg = (c / 8) * 4 + ((r / 8) % 2) * 2 + c % 2;
        d[thread][reg] = (accumulate ? d[thread][reg] : 0.0f) + sum;
      }
  }

  // d (+)= A·Bᵀ for the 64 rows at a_smem and the N rows at b_smem (shared-memory byte addresses
  // of 1024-byte-aligned swizzled tiles, plus 32·step for k step `step`). accumulate = 0 starts
  // from zero. Asynchronous: bracket with wgmma_fence() / wgmma_commit() / wgmma_wait<0>().
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void mma_async(float (&d)[N / 2], std::uint32_t a_smem,
                                                          std::uint32_t b_smem, int accumulate) {
    mma_async_described(d, descriptor_low(a_smem), descriptor_low(b_smem), accumulate);
  }

  // The same from the low 32 bits of the two descriptors (the high half is the same for every
  // tile of this layout). A low half plus descriptor_step(bytes) starts `bytes` further on (bytes a
  // multiple of 16, addresses below 256 KiB, so the start field never carries): a loop over k
  // steps and stages adds constants to one register instead of rebuilding 64-bit descriptors
  // (about ten integer instructions each, and registers the accumulators need).
  static constexpr std::uint32_t descriptor_high = static_cast<std::uint32_t>(wgmma_sw128_descriptor(0) >> 32);
  HIPFUSE_HOST_DEVICE static constexpr std::uint32_t descriptor_low(std::uint32_t smem_address) {
    return static_cast<std::uint32_t>(wgmma_sw128_descriptor(smem_address));
  }
  HIPFUSE_HOST_DEVICE static constexpr std::uint32_t descriptor_step(std::uint32_t bytes) { return bytes >> 4; }
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void mma_async_described(float (&d)[N / 2], std::uint32_t low_a,
                                                                    std::uint32_t low_b, int accumulate) {
#if defined(HIPFUSE_HAS_WGMMA)
    constexpr std::uint64_t high = std::uint64_t{descriptor_high} << 32;
    wgmma_issue<N>::issue(d, high | low_a, high | low_b, accumulate);
#else
    (void)d, (void)low_a, (void)low_b, (void)accumulate;
    platform::trap("wgmma needs sm_90a code: build with -gencode arch=compute_90a,code=sm_90a, or pick "
                   "backend::mma_sync_e4m3");
#endif
  }
};

// Orders register accesses before the following wgmma instructions (PTX: required before the
// first wgmma and whenever its accumulators were touched by other instructions).
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void wgmma_fence() {
#if defined(HIPFUSE_HAS_WGMMA)
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#endif
}
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void wgmma_commit() {
#if defined(HIPFUSE_HAS_WGMMA)
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
#endif
}
// Waits until at most Pending committed groups are still running.
template <int Pending>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void wgmma_wait() {
#if defined(HIPFUSE_HAS_WGMMA)
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(Pending) : "memory");
#endif
}
// Keeps the compiler from moving accumulator reads above wgmma_wait (the asm above already
// names the registers; this ties a whole array to a point in the program).
template <int Count>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void wgmma_fence_registers(float (&d)[Count]) {
#if defined(HIPFUSE_HAS_WGMMA)
#pragma unroll
  for (int i = 0; i < Count; ++i) asm volatile("" : "+f"(d[i])::"memory");
#else
  (void)d;
#endif
}

}  // namespace gemm
}  // namespace hipfuse
