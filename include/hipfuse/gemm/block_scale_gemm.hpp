// Block-scale FP8 GEMM: device functor and kernel.
//
//   block_scale_gemm_tile<Policy, SmallM>::run(args, shared, tile_m, tile_n)
//     computes one block tile of C; called by all shape::threads threads of a block with the
//     shared tiles the caller provides (for use inside users' own kernels).
//   block_scale_gemm_kernel<Policy, Args, SmallM>: one block per tile, grid (ceil(N/block_n),
//     ceil(M/block_m)), shape::threads threads. Launch it through block_scale_gemm_launcher.hpp.
//
// The tile shape and atom come from tile_config.hpp for the policy's arch and GEMM backend; the
// backend depends on the scale type (ue8m0 scales select the hardware-scaled MFMA on gfx950).
#pragma once
#include "../kernel.hpp"
#include "../policy.hpp"
#include "block_scale_gemm_args.hpp"
#include "tile_config.hpp"
#include "tile_pipeline.hpp"

namespace hipfuse {
namespace gemm {

template <class Policy, class Args, bool SmallM = false>
struct block_scale_gemm_tile {
  static_assert(std::is_same_v<typename Args::fp8_type, typename Policy::fp8_type>,
                "the GEMM's fp8 operands must be the policy's fp8 format");
  // UE8M0 scales on both sides let gfx950 apply them in the MFMA; anything else promotes in fp32.
  using scale_for_backend =
      std::conditional_t<std::is_same_v<typename Args::a_scale_type, ue8m0> &&
                             std::is_same_v<typename Args::b_scale_type, ue8m0>,
                         ue8m0, float>;
  using shape = tile_shape_for<Policy, scale_for_backend, SmallM>;
  using pipeline = block_scale_gemm_pipeline<shape, Args>;
  using shared_storage = typename pipeline::shared_storage;
  static constexpr int threads = shape::threads;

  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE static void run(const Args& args, shared_storage& shared, int tile_m, int tile_n) {
    pipeline::run(args, shared, tile_m, tile_n);
  }

  HIPFUSE_HOST_DEVICE static constexpr int grid_x(int n) { return (n + shape::block_n - 1) / shape::block_n; }
  HIPFUSE_HOST_DEVICE static constexpr int grid_y(int m) { return (m + shape::block_m - 1) / shape::block_m; }
};

namespace detail {
template <class Tile, class Args>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void run_block_tile(const Args& args) {
  HIPFUSE_SHARED typename Tile::shared_storage shared;
  Tile::run(args, shared, platform::block_rank_y(), platform::block_rank_x());
}
}  // namespace detail

template <class Policy, class Args, bool SmallM>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS((block_scale_gemm_tile<Policy, Args, SmallM>::threads))
    block_scale_gemm_kernel(Args args) {
  kernel_body<typename Policy::arch>(
      [&] { detail::run_block_tile<block_scale_gemm_tile<Policy, Args, SmallM>>(args); });
}

}  // namespace gemm
}  // namespace hipfuse
