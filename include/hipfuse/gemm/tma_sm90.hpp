// NVIDIA Hopper data-movement atoms for the wgmma backend: shared-memory mbarriers and the bulk
// tensor copy (TMA) of 2-D fp8 tiles with the 128-byte swizzle of swizzle.hpp.
//   device: mbarrier_init / arrive / arrive_expect_tx / wait (CTA or cluster scope), tma_load_2d
//           (completes on an mbarrier), tma_store_2d with bulk-group waits, named barriers
//   host:   make_tma_2d(...) encodes a CUtensorMap for a row-major 2-D matrix
// Only meaningful when compiling with nvcc for sm_90(a); elsewhere the header is empty.
#pragma once
#include "../config.hpp"

#if defined(HIPFUSE_PLATFORM_CUDA)
#include <cuda.h>
#include <cuda_runtime.h>
#include <cstdint>
#include <string>
#include "../platform/trap.hpp"
#include "../status.hpp"

namespace hipfuse {
namespace gemm {
namespace sm90 {

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
#define HIPFUSE_HAS_TMA 1
#endif

HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::uint32_t smem_address(const void* p) {
  return static_cast<std::uint32_t>(__cvta_generic_to_shared(p));
}

HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void mbarrier_init(std::uint64_t* bar, int count) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_address(bar)), "r"(count) : "memory");
#else
  (void)bar, (void)count;
#endif
}

// Makes barrier initialisation visible to the copy engine (the async proxy) before first use.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void fence_barrier_init() {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
#endif
}

// The barrier operations take the barrier's 32-bit shared-memory address (a loop can keep it in
// a register; converting a generic pointer costs several instructions per use) or its pointer.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void mbarrier_arrive(std::uint32_t bar) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
#else
  (void)bar;
#endif
}
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void mbarrier_arrive(std::uint64_t* bar) { mbarrier_arrive(smem_address(bar)); }

// One arrival that also announces `bytes` of copies completing on this barrier's current phase.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void mbarrier_arrive_expect_tx(std::uint64_t* bar, std::uint32_t bytes) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_address(bar)), "r"(bytes)
               : "memory");
#else
  (void)bar, (void)bytes;
#endif
}

// Who must see what the barrier's arrivals released: this block (the default; the copy engine's bytes
// and the block's own warps), or every block of the cluster (arrivals from other blocks that wrote
// into this block's shared memory: the wait then acquires at cluster scope).
enum class barrier_scope { cta, cluster };

// The spin on mbarrier.try_wait; `qualifiers` goes between ".parity" and ".shared::cta".
#define HIPFUSE_SM90_TRY_WAIT_LOOP(qualifiers)                                   \
  "{\n.reg .pred done;\nwait_%=:\n"                                             \
  "mbarrier.try_wait.parity" qualifiers ".shared::cta.b64 done, [%0], %1;\n" \
  "@!done bra wait_%=;\n}\n"

// Waits until the phase of parity `phase` has completed. A fresh barrier counts the phase before
// its first as completed with parity 1, which lets producers wait on "empty" barriers from the
// start with phase 1.
template <barrier_scope Scope = barrier_scope::cta>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void mbarrier_wait(std::uint32_t bar, int phase) {
#if defined(HIPFUSE_HAS_TMA)
  if constexpr (Scope == barrier_scope::cluster) {
    asm volatile(HIPFUSE_SM90_TRY_WAIT_LOOP(".acquire.cluster")::"r"(bar), "r"(phase) : "memory");
  } else {
    asm volatile(HIPFUSE_SM90_TRY_WAIT_LOOP("")::"r"(bar), "r"(phase) : "memory");
  }
#else
  (void)bar, (void)phase;
#endif
}
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void mbarrier_wait(std::uint64_t* bar, int phase) {
  mbarrier_wait(smem_address(bar), phase);
}

// Copies the box at (col, row) of the tensor map into shared memory at dst (1024-byte aligned for
// the 128-byte swizzle); completion is counted in bytes on bar. Out-of-range elements read as 0.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void tma_load_2d(const CUtensorMap* map, std::uint64_t* bar, void* dst, int col,
                                                   int row) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::
          "r"(smem_address(dst)),
      "l"(reinterpret_cast<std::uint64_t>(map)), "r"(col), "r"(row), "r"(smem_address(bar))
      : "memory");
#else
  (void)map, (void)bar, (void)dst, (void)col, (void)row;
  platform::trap("the tensor copy engine needs sm_90 or later");
#endif
}

// Copies 4 bytes from global to shared memory (dst: a shared-memory address) without holding a
// register for them (cp.async); where `valid` is false nothing is read and dst gets zeros.
// Completion is signalled by async_copies_arrive.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void async_copy_4(std::uint32_t dst, const void* src, bool valid) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(dst), "l"(reinterpret_cast<std::uint64_t>(src)),
               "r"(valid ? 4 : 0)
               : "memory");
#else
  (void)dst, (void)src, (void)valid;
  platform::trap("cp.async needs sm_80 or later");
#endif
}

// One of the barrier's expected arrivals, made once every async_copy_4 this thread issued before
// has landed.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void async_copies_arrive(std::uint32_t bar) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(bar) : "memory");
#else
  (void)bar;
  platform::trap("cp.async needs sm_80 or later");
#endif
}

// Copies `bytes` contiguous bytes (a multiple of 16; src and dst 16-byte aligned) from global to
// shared memory; completion is counted in bytes on bar.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void bulk_load(std::uint64_t* bar, void* dst, const void* src, std::uint32_t bytes) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
          smem_address(dst)),
      "l"(reinterpret_cast<std::uint64_t>(src)), "r"(bytes), "r"(smem_address(bar))
      : "memory");
#else
  (void)bar, (void)dst, (void)src, (void)bytes;
  platform::trap("the bulk copy engine needs sm_90 or later");
#endif
}

// Copies the box at (col, row) of the tensor map from shared memory at src to global memory;
// elements outside the tensor are not written. Completion is tracked per thread in bulk groups.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void tma_store_2d(const CUtensorMap* map, const void* src, int col, int row) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("cp.async.bulk.tensor.2d.global.shared::cta.bulk_group [%0, {%1, %2}], [%3];\n" ::"l"(
                   reinterpret_cast<std::uint64_t>(map)),
               "r"(col), "r"(row), "r"(smem_address(src))
               : "memory");
#else
  (void)map, (void)src, (void)col, (void)row;
  platform::trap("the tensor copy engine needs sm_90 or later");
#endif
}
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void bulk_commit() {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
#endif
}
// Waits until at most Pending of this thread's bulk groups still read their shared memory.
template <int Pending>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void bulk_wait_read() {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("cp.async.bulk.wait_group.read %0;\n" ::"n"(Pending) : "memory");
#endif
}
// Waits until at most Pending of this thread's bulk groups are incomplete.
template <int Pending>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void bulk_wait() {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("cp.async.bulk.wait_group %0;\n" ::"n"(Pending) : "memory");
#endif
}

HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void store_shared_u32(std::uint32_t address, std::uint32_t value) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(address), "r"(value) : "memory");
#else
  (void)address, (void)value;
#endif
}

HIPFUSE_DEVICE HIPFUSE_FORCEINLINE float load_shared_f32(std::uint32_t address) {
#if defined(HIPFUSE_HAS_TMA)
  float value;
  asm volatile("ld.shared.f32 %0, [%1];\n" : "=f"(value) : "r"(address) : "memory");
  return value;
#else
  (void)address;
  platform::trap("load_shared_f32 needs sm_90 or later");
#endif
}

// Barrier `id` (1..15; 0 is __syncthreads) over `threads` threads, e.g. one warpgroup.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void named_barrier(int id, int threads) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
#else
  (void)id, (void)threads;
#endif
}

// Orders this thread's ordinary shared-memory stores before later reads by the async proxy (wgmma
// operands, tensor copies out of shared memory); a barrier must follow.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void fence_proxy_async() {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}

HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void prefetch_tma_descriptor(const CUtensorMap* map) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<std::uint64_t>(map)) : "memory");
#else
  (void)map;
#endif
}

// Hands registers between warpgroups (sm_90a; needs the kernel's register cap at entry).
template <int Registers>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void release_registers() {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(Registers));
#endif
}
template <int Registers>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void claim_registers() {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(Registers));
#endif
}

// ---- host: tensor maps ----------------------------------------------------------------------

// cuTensorMapEncodeTiled lives in the driver library; it is looked up through the runtime so that
// programs need not link libcuda themselves.
using tensor_map_encode_fn = decltype(&cuTensorMapEncodeTiled);

inline status tensor_map_encoder(tensor_map_encode_fn& fn) {
  static tensor_map_encode_fn cached = nullptr;
  if (cached == nullptr) {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult found{};
#if CUDART_VERSION >= 12050
    const cudaError_t e = cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &found);
#else
    const cudaError_t e = cudaGetDriverEntryPoint("cuTensorMapEncodeTiled", &p, cudaEnableDefault, &found);
#endif
    if (e != cudaSuccess || found != cudaDriverEntryPointSuccess || p == nullptr)
      return status::error(status_code::runtime_error, "cuTensorMapEncodeTiled is not available from the CUDA driver");
    cached = reinterpret_cast<tensor_map_encode_fn>(p);
  }
  fn = cached;
  return status::success();
}

// A row-major [rows, cols] matrix of `element_bytes`-byte elements (1: fp8 as bytes, 2: bf16, 4: fp32)
// with row stride ld elements (ld · element_bytes a multiple of 16), read or written in boxes of
// box_rows × box_cols: with the 128-byte swizzle (box_cols · element_bytes <= 128, a 1024-byte
// aligned destination) or, swizzle_128b false, as plain rows (a 128-byte aligned destination).
// Elements outside [rows, cols] are neither read nor written: a load fills them with zeros.
inline status make_tma_2d(CUtensorMap& map, const void* base, int element_bytes, std::int64_t rows, std::int64_t cols,
                          std::int64_t ld, int box_rows, int box_cols, bool swizzle_128b = true) {
  tensor_map_encode_fn encode = nullptr;
  if (status s = tensor_map_encoder(encode); !s.ok()) return s;
  const cuuint64_t dims[2] = {static_cast<cuuint64_t>(cols), static_cast<cuuint64_t>(rows)};
  const cuuint64_t strides[1] = {static_cast<cuuint64_t>(ld * element_bytes)};
  const cuuint32_t box[2] = {static_cast<cuuint32_t>(box_cols), static_cast<cuuint32_t>(box_rows)};
  const cuuint32_t element_strides[2] = {1, 1};
  const CUtensorMapDataType type = element_bytes == 4   ? CU_TENSOR_MAP_DATA_TYPE_FLOAT32
                                   : element_bytes == 2 ? CU_TENSOR_MAP_DATA_TYPE_BFLOAT16
                                                        : CU_TENSOR_MAP_DATA_TYPE_UINT8;
  const CUresult r = encode(&map, type, 2, const_cast<void*>(base), dims, strides, box, element_strides,
                            CU_TENSOR_MAP_INTERLEAVE_NONE,
                            swizzle_128b ? CU_TENSOR_MAP_SWIZZLE_128B : CU_TENSOR_MAP_SWIZZLE_NONE,
                            CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (r != CUDA_SUCCESS)
    return status::error(status_code::runtime_error,
                         "cuTensorMapEncodeTiled failed (CUresult " + std::to_string(static_cast<int>(r)) + ")");
  return status::success();
}

}  // namespace sm90
}  // namespace gemm
}  // namespace hipfuse
#endif
