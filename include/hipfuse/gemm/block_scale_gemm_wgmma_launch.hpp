// The host side of the Hopper block-scale GEMM: encodes the tensor maps of A, B, C and the A
// scales, checks what the wgmma kernel needs, sizes the persistent grid and launches
// block_scale_gemm_wgmma_kernel for one tile shape (the generic launcher, block_scale_gemm_launcher.hpp,
// picks the shape).
#pragma once
#include <atomic>
#include <cstdint>
#include "../config.hpp"

#if defined(HIPFUSE_PLATFORM_CUDA)
#include "../platform/runtime.hpp"
#include "../status.hpp"
#include "block_scale_gemm_wgmma.hpp"
#include "cluster_sm90.hpp"
#include "tma_sm90.hpp"
#include "wgmma_config.hpp"
#include "wgmma_shape_sm90.hpp"

namespace hipfuse {
namespace gemm {

// Whether this program's sm90 code of the kernel was built with wgmma (sm_90a) rather than plain
// sm_90: only the sm_90a body declares static shared memory (its mbarriers).
template <class Shape, class Args>
bool wgmma_code_present() {
  static const bool present = [] {
    cudaFuncAttributes attributes{};
    return cudaFuncGetAttributes(&attributes, block_scale_gemm_wgmma_kernel<Shape, Args>) == cudaSuccess &&
           attributes.sharedSizeBytes > 0;
  }();
  return present;
}

// How many clusters of Shape::cluster_k blocks of the kernel can run at once on the current device
// (0: none, or an error): not every GPC of an H100 holds a multiple of four of these blocks, so this
// can be less than SMs / 4 (30 clusters of four on 132 SMs). Asked once per device.
template <class Shape, class Args>
int wgmma_resident_clusters() {
  constexpr int cached_devices = 64;
  static std::atomic<int> cache[cached_devices];  // count + 1; 0 = not asked yet
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  if (device >= 0 && device < cached_devices) {
    if (const int known = cache[device].load(std::memory_order_relaxed); known > 0) return known - 1;
  }
  const int clusters = [] {
    auto kernel = block_scale_gemm_wgmma_kernel<Shape, Args>;
    if (cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Shape::shared_bytes) != cudaSuccess)
      return 0;
    int sms = 0;
    if (!platform::multiprocessor_count(sms).ok()) return 0;
    cudaLaunchConfig_t config{};
    config.gridDim = dim3(static_cast<unsigned>(sms / Shape::cluster_k * Shape::cluster_k));
    config.blockDim = dim3(static_cast<unsigned>(Shape::threads));
    config.dynamicSmemBytes = Shape::shared_bytes;
    cudaLaunchAttribute attribute[1] = {platform::cluster_attribute(Shape::cluster_k)};
    config.attrs = attribute;
    config.numAttrs = 1;
    int count = 0;
    if (cudaOccupancyMaxActiveClusters(&count, kernel, &config) != cudaSuccess) {
      (void)cudaGetLastError();
      return 0;
    }
    return count;
  }();
  if (device >= 0 && device < cached_devices) cache[device].store(clusters + 1, std::memory_order_relaxed);
  return clusters;
}

template <class Shape, class Args>
status launch_block_scale_gemm_wgmma(const Args& p, platform::launch_stream stream, int sms) {
  CUtensorMap tma_a{}, tma_b{}, tma_c{}, tma_sa{}, tma_a_tail{}, tma_sa_tail{};
  // The rows of A a stage copies: only those below M. The tensor copy fills rows past M with zeros,
  // and on the H100 that is not free: with 64-row boxes the 64x16 tiles of 2112x7168 took 17.3 µs
  // at M = 1 against 10.3 µs at M = 64, and the 64x32 ones split four ways 14.2 µs at M = 96 against
  // 11.3 at M = 128. So the boxes are a_rows tall (the tile's rows, or M where M ends inside the
  // first row tile), and where M ends inside a later row tile, that tile's copies go through maps
  // of a_tail_rows. The rows left out keep whatever the stage held; they only reach accumulator
  // rows past M, which are never stored (a row of C depends on its own row of A alone). The A
  // scales' boxes are the same rows rounded up to 4 (a box row is a multiple of 16 bytes).
  const int a_rows = p.m < Shape::block_m ? p.m : Shape::block_m;
  const int a_tail_rows = p.m > Shape::block_m && p.m % Shape::block_m != 0 ? p.m % Shape::block_m : a_rows;
  const bool has_tail = a_tail_rows != a_rows;  // else the tail maps are copies, never used
  if (status s = sm90::make_tma_2d(tma_a, p.a, 1, p.m, p.k, p.lda, a_rows, scale_block); !s.ok()) return s;
  tma_a_tail = tma_a;
  if (has_tail) {
    if (status s = sm90::make_tma_2d(tma_a_tail, p.a, 1, p.m, p.k, p.lda, a_tail_rows, scale_block); !s.ok())
      return s;
  }
  if (status s = sm90::make_tma_2d(tma_b, p.b.ptr, 1, p.n, p.k, p.b.ld, Shape::block_n, scale_block); !s.ok())
    return s;
  // The tensor store needs a 16-byte-aligned C with 16-byte row pitch; else threads store directly.
  const bool tma_store = Shape::staged_store && reinterpret_cast<std::uintptr_t>(p.c) % 16 == 0 && p.ldc % 8 == 0;
  if (tma_store) {
    if (status s = sm90::make_tma_2d(tma_c, p.c, 2, p.m, p.n, p.ldc, 64, Shape::c_box_cols); !s.ok()) return s;
  }
  // Scales by copy where the layouts allow (see the top of this file): 16-byte aligned columns of
  // A scales and rows of B scales.
  bool copy_scales = false;
  if constexpr (wgmma_scales_by_copy<Args> && Shape::scales_in_stages)
    copy_scales = p.a_scale.stride % 4 == 0 && reinterpret_cast<std::uintptr_t>(p.a_scale.data) % 16 == 0 &&
                  (p.k / scale_block) % 4 == 0 && reinterpret_cast<std::uintptr_t>(p.b_scale) % 16 == 0;
  // The A scales as a [K/128, M] fp32 matrix (row stride = the layout's), copied BlockM at a time.
  if (copy_scales) {
    const auto scale_map = [&](CUtensorMap& map, int rows) {
      return sm90::make_tma_2d(map, p.a_scale.data, 4, p.k / scale_block, p.m, p.a_scale.stride, 1, (rows + 3) / 4 * 4,
                               false);
    };
    if (status s = scale_map(tma_sa, a_rows); !s.ok()) return s;
    tma_sa_tail = tma_sa;
    if (has_tail) {
      if (status s = scale_map(tma_sa_tail, a_tail_rows); !s.ok()) return s;
    }
  }
  auto kernel = block_scale_gemm_wgmma_kernel<Shape, Args>;
  if (cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Shape::shared_bytes) != cudaSuccess)
    return status::error(status_code::runtime_error, "block_scale_gemm: the wgmma kernel's shared memory was refused");
  const std::int64_t tiles = static_cast<std::int64_t>((p.m + Shape::block_m - 1) / Shape::block_m) *
                             ((p.n + Shape::block_n - 1) / Shape::block_n);
  if constexpr (Shape::global_split) {
    const std::int64_t needed = wgmma_split_workspace_bytes<Shape>(p.m, p.n);
    if (needed == 0)
      return status::error(status_code::invalid_shape, "block_scale_gemm: more than " +
                                                           std::to_string(wgmma_split_max_tiles) +
                                                           " tiles for a k split through the workspace");
    if (p.workspace == nullptr)
      return status::error(status_code::null_pointer, "block_scale_gemm: this k split needs args.workspace");
    if (p.workspace_bytes < needed)
      return status::error(status_code::invalid_value, "block_scale_gemm: this k split needs a workspace of " +
                                                           std::to_string(needed) + " bytes, args.workspace_bytes = " +
                                                           std::to_string(p.workspace_bytes));
    if (reinterpret_cast<std::uintptr_t>(p.workspace) % 16 != 0)
      return status::error(status_code::misaligned, "block_scale_gemm: args.workspace must be 16-byte aligned");
  }
  // Tile groups that run at once: one block per SM (Shape::cluster_k blocks per tile), or as many
  // clusters as the GPCs hold.
  const int resident = Shape::cluster_split ? wgmma_resident_clusters<Shape, Args>() : sms / Shape::cluster_k;
  if (resident <= 0)
    return status::error(status_code::runtime_error, "block_scale_gemm: no cluster of the wgmma kernel fits this GPU");
  const int grid = static_cast<int>(tiles < resident ? tiles : resident) * Shape::cluster_k;
  // The cluster k split takes no part in programmatic dependent launch: chained it ran 5-9 % slower
  // than unchained on the H100 (7168x16384 at M = 1: 48.0 -> 51.8 µs), with or without releasing
  // its dependents. B before the wait only when this launch may overlap the previous kernel (see run).
  if constexpr (Shape::cluster_split) stream.programmatic_dependent_launch = false;
  const bool weights_first =
      Shape::copies_weights_first && p.b_independent_of_previous_kernel && stream.programmatic_dependent_launch;
  // Row tiles per band of the tile walk (the 64-row decode tiles ignore it: no device query for them).
  int group_m = 0;
  if constexpr (block_scale_gemm_wgmma<Shape, Args>::walks_in_bands) {
    int l2_bytes = 0;
    if (status s = platform::l2_cache_bytes(l2_bytes); !s.ok()) return s;
    group_m = wgmma_group_rows((p.m + Shape::block_m - 1) / Shape::block_m, static_cast<std::int64_t>(p.m) * p.k,
                               l2_bytes);
  }
  return platform::launch(kernel, {grid, 1, Shape::cluster_split ? Shape::cluster_k : 1}, Shape::threads,
                          Shape::shared_bytes, stream, tma_a, tma_b, tma_c, tma_sa, tma_a_tail, tma_sa_tail, a_rows,
                          a_tail_rows, tma_store, copy_scales, weights_first, group_m, p);
}

}  // namespace gemm
}  // namespace hipfuse
#endif
