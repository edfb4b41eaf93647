// NVIDIA Hopper thread-block clusters for the wgmma backend: a block's rank, the cluster-wide
// barrier, and the distributed shared memory a k split across blocks adds its partial tiles through
// (plain stores into another block's shared memory, made visible by a release-acquire mbarrier: the
// waiting side is mbarrier_wait<barrier_scope::cluster> in tma_sm90.hpp).
// Only meaningful when compiling with nvcc for sm_90(a); elsewhere the header is empty.
#pragma once
#include "../config.hpp"

#if defined(HIPFUSE_PLATFORM_CUDA)
#include <cstdint>
#include "../platform/trap.hpp"
#include "tma_sm90.hpp"  // HIPFUSE_HAS_TMA (sm_90 and later: clusters too); mbarrier_wait<barrier_scope::cluster>

namespace hipfuse {
namespace gemm {
namespace sm90 {

// This block's rank in its cluster (0 without clusters).
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE int cluster_rank() {
#if defined(HIPFUSE_HAS_TMA)
  std::uint32_t rank;
  asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(rank));
  return static_cast<int>(rank);
#else
  return 0;
#endif
}

// Every thread of every block of the cluster: releases what each wrote, acquires what the others
// wrote (e.g. initialised mbarriers another block will arrive on). At the end of a kernel it keeps
// each block alive until the others are done with its shared memory.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void cluster_sync() {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("barrier.cluster.arrive.release;\nbarrier.cluster.wait.acquire;\n" ::: "memory");
#else
  platform::trap("thread-block clusters need sm_90 or later");
#endif
}

// The address in block `rank`'s shared memory of what is at `address` in this block's.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::uint32_t cluster_address(std::uint32_t address, int rank) {
#if defined(HIPFUSE_HAS_TMA)
  std::uint32_t remote;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;\n" : "=r"(remote) : "r"(address), "r"(rank));
  return remote;
#else
  (void)rank;
  platform::trap("thread-block clusters need sm_90 or later");
  return address;
#endif
}

// A store into the shared memory of a block of the cluster (an address from cluster_address).
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void store_cluster_f32(std::uint32_t remote, float value) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("st.shared::cluster.f32 [%0], %1;\n" ::"r"(remote), "f"(value) : "memory");
#else
  (void)remote, (void)value;
#endif
}

// One arrival on an mbarrier of a block of the cluster (an address from cluster_address), releasing
// this thread's earlier writes, the remote stores included, at cluster scope.
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void mbarrier_arrive_cluster(std::uint32_t remote_bar) {
#if defined(HIPFUSE_HAS_TMA)
  asm volatile("mbarrier.arrive.release.cluster.shared::cluster.b64 _, [%0];\n" ::"r"(remote_bar) : "memory");
#else
  (void)remote_bar;
#endif
}

}  // namespace sm90
}  // namespace gemm
}  // namespace hipfuse
#endif
