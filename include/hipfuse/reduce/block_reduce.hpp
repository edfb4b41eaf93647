// Sums across the threads of a block or of a lane group inside one wave, through the reduction
// backend the policy selects:
//   backend::rocprim  rocprim::block_reduce (DPP within a wave), AMD only
//   backend::cub      cub::WarpReduce per warp, one barrier across warps, NVIDIA only
//   backend::native   shuffle_xor over Arch::wave_size lanes, then shared memory across waves
//   backend::serial   the host platform: one thread, the sum is the value itself
//
//   using reduce = hipfuse::block_reduce<Policy, 256>;
//   HIPFUSE_SHARED typename reduce::storage storage;
//   float total = reduce::sum(partial, storage);   // every thread of the block gets the total
//
// As with CUB's TempStorage, put a platform::block_barrier() between two uses of one storage.
#pragma once
#include "../config.hpp"
#include "../platform/thread.hpp"
#include "../platform/warp.hpp"
#include "../policy.hpp"
#include "group_reduce.hpp"

#if defined(HIPFUSE_PLATFORM_HIP)
#include <rocprim/block/block_reduce.hpp>
#elif defined(HIPFUSE_PLATFORM_CUDA)
#include <cub/util_ptx.cuh>
#include <cub/warp/warp_reduce.cuh>
#endif

namespace hipfuse {

namespace detail {
struct block_reduce_plus {
  template <class T>
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE T operator()(T a, T b) const {
    return a + b;
  }
};
}  // namespace detail

// Sum over groups of Width consecutive lanes of one wave (Width a power of two, at most the wave
// size); every lane gets its group's sum. All lanes of the wave must call it, so lanes without
// work contribute zero instead of returning early.
template <class Policy, int Width, class T>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE T group_sum(T value) {
  return group_reduce<Policy, Width>(value, detail::block_reduce_plus{});
}

namespace detail {

template <class Policy, int BlockSize, class T, class Backend = typename Policy::reduce_backend>
struct block_reduce_impl;

template <class Policy, int BlockSize, class T>
struct block_reduce_impl<Policy, BlockSize, T, backend::serial> {
  struct storage {};
  static HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE T sum(T value, storage&) { return value; }
};

// Each wave sums with shuffles; lane 0 of each wave posts its sum; after one barrier every thread
// adds the posted sums itself, which saves the second barrier a broadcast from thread 0 would need.
template <class Policy, int BlockSize, class T>
struct block_reduce_impl<Policy, BlockSize, T, backend::native> {
  static constexpr int waves = (BlockSize + Policy::wave_size - 1) / Policy::wave_size;
  struct storage {
    T wave_sums[waves];
  };
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE T sum(T value, storage& s) {
    value = group_sum<Policy, Policy::wave_size>(value);
    if constexpr (waves == 1) {
      (void)s;
      return value;
    } else {
      const int tid = platform::thread_rank();
      if (tid % Policy::wave_size == 0) s.wave_sums[tid / Policy::wave_size] = value;
      platform::block_barrier();
      T total = s.wave_sums[0];
HIPFUSE_UNROLL
      for (int w = 1; w < waves; ++w) total += s.wave_sums[w];
      return total;
    }
  }
};

#if defined(HIPFUSE_PLATFORM_HIP)
template <class Policy, int BlockSize, class T>
struct block_reduce_impl<Policy, BlockSize, T, backend::rocprim> {
  using library = ::rocprim::block_reduce<T, BlockSize>;
  struct storage {
    typename library::storage_type library_storage;
    T total;
  };
  // rocPRIM leaves the result in thread 0 only: it is broadcast through storage.
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE T sum(T value, storage& s) {
    T total{};
    library().reduce(value, total, s.library_storage);
    if (platform::thread_rank() == 0) s.total = total;
    platform::block_barrier();
    return s.total;
  }
};
#endif

#if defined(HIPFUSE_PLATFORM_CUDA)
// cub::WarpReduce sums each warp; lane 0 of each warp posts its sum and after one barrier every
// thread adds the posted sums in the same order. cub::BlockReduce would leave the total in thread 0
// and need a second barrier to broadcast it: on H100 that second barrier cost 0.1 µs of a 1.9 µs
// single-row RMSNorm (bench/sweep_rmsnorm.cu).
template <class Policy, int BlockSize, class T>
struct block_reduce_impl<Policy, BlockSize, T, backend::cub> {
  static constexpr int warps = (BlockSize + 31) / 32;
  using warp_reduce = ::cub::WarpReduce<T>;
  struct storage {
    typename warp_reduce::TempStorage warp_storage[warps];
    T warp_sums[warps];
  };
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE T sum(T value, storage& s) {
    const int tid = platform::thread_rank();
    const T warp_total = warp_reduce(s.warp_storage[tid / 32]).Sum(value);  // valid in lane 0
    if constexpr (warps == 1) {
      return ::cub::ShuffleIndex<32>(warp_total, 0, 0xFFFFFFFFu);
    } else {
      if (tid % 32 == 0) s.warp_sums[tid / 32] = warp_total;
      platform::block_barrier();
      T total = s.warp_sums[0];
HIPFUSE_UNROLL
      for (int w = 1; w < warps; ++w) total += s.warp_sums[w];
      return total;
    }
  }
};
#endif

}  // namespace detail

// Block-wide sum for blocks of exactly BlockSize threads (1 on the host platform).
template <class Policy, int BlockSize, class T = float>
struct block_reduce {
  static_assert(BlockSize >= 1, "block size must be positive");
  using backend_type = typename Policy::reduce_backend;
  using impl = detail::block_reduce_impl<Policy, BlockSize, T>;
  // Shared storage for one reduction; declare it HIPFUSE_SHARED.
  using storage = typename impl::storage;

  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE T sum(T value, storage& s) { return impl::sum(value, s); }
};

}  // namespace hipfuse
