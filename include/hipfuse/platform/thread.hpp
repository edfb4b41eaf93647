// Thread, block and grid coordinates, and the block barrier, on every platform. On the host
// platform a kernel runs one thread per block and the launcher walks the grid serially, setting
// the block coordinates below.
#pragma once
#include "../config.hpp"

namespace hipfuse {
namespace platform {

#if defined(HIPFUSE_PLATFORM_HOST)
struct host_grid_state {
  int block_x = 0, block_y = 0;
  int grid_x = 1, grid_y = 1;
};
inline thread_local host_grid_state host_grid;

inline int thread_rank() { return 0; }
inline int block_size() { return 1; }
inline int block_rank_x() { return host_grid.block_x; }
inline int block_rank_y() { return host_grid.block_y; }
inline int grid_size_x() { return host_grid.grid_x; }
inline int grid_size_y() { return host_grid.grid_y; }
inline void block_barrier() {}
#else
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE int thread_rank() { return static_cast<int>(threadIdx.x); }
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE int block_size() { return static_cast<int>(blockDim.x); }
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE int block_rank_x() { return static_cast<int>(blockIdx.x); }
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE int block_rank_y() { return static_cast<int>(blockIdx.y); }
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE int grid_size_x() { return static_cast<int>(gridDim.x); }
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE int grid_size_y() { return static_cast<int>(gridDim.y); }
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void block_barrier() { __syncthreads(); }
#endif

// Keeps the memory operations above this point ahead of everything after it in the compiled
// code. On CUDA a block-scope fence: ptxas (CUDA 13) otherwise issued loads whose values are needed
// only later (a row's weight, used after the block's reduction) after the reduction's shuffles,
// and their latency then followed the barrier; the fence waits for the loads above it, so place it
// where their values are needed next anyway. Elsewhere nothing: the AMD and host compilers issue
// such loads early.
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void loads_issued_here() {
#if defined(HIPFUSE_DEVICE_PASS) && defined(HIPFUSE_PLATFORM_CUDA)
  __threadfence_block();
#endif
}

}  // namespace platform
}  // namespace hipfuse
