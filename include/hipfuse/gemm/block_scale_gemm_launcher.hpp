// Host launcher of the block-scale FP8 GEMM.
//
//   gemm::block_scale_gemm_args<Fp8, AScaleLayout, AScale, BLayout, BScale> args;
//   args.a = A; args.lda = K;                              // fp8 [M, K], K-major, 16-byte aligned rows
//   args.a_scale = {sa, K / 128};                          // scale_view {data, stride}: row_major [M, K/128],
//                                                          // column_major(_aligned4) [K/128, M] or packed UE8M0
//   args.b = {B, K};                                       // b_standard: fp8 [N, K], K-major; or
//                                                          // b_preshuffled: preshuffle_b's output (N % 16 == 0)
//   args.b_scale = sb;                                     // [ceil(N/128), K/128] row-major
//   args.bias = nullptr;                                   // optional bf16 [N]
//   args.c = C; args.ldc = N;                              // bf16 [M, N]
//   args.m = M; args.n = N; args.k = K;
//   status s = gemm::block_scale_gemm(args, stream);
//
// Fp8 is the arch's format: float8_e4m3fnuz on gfx942, float8_e4m3fn on gfx950 and NVIDIA (and
// either on the host platform). Scales are float or ue8m0; ue8m0 for A selects the hardware-scaled
// MFMA on gfx950 (B's scales must then be ue8m0 as well). Any M >= 1 and N >= 1 (partial tiles are
// masked), K % 128 == 0. M <= 16 runs the small-M tile. can_implement() checks everything first;
// when it is not ok nothing is launched or written.
#pragma once
#include <cstdint>
#include <string>
#include <type_traits>
#include "../kernel.hpp"
#include "../platform/runtime.hpp"
#include "../status.hpp"
#include "block_scale_gemm.hpp"
#include "block_scale_gemm_wgmma_launch.hpp"
#include "wgmma_config.hpp"

namespace hipfuse {
namespace gemm {
namespace detail {

inline bool ranges_overlap(const void* p, std::int64_t p_bytes, const void* q, std::int64_t q_bytes) {
  if (p == nullptr || q == nullptr || p_bytes <= 0 || q_bytes <= 0) return false;
  const auto a = reinterpret_cast<std::uintptr_t>(p), b = reinterpret_cast<std::uintptr_t>(q);
  return a < b + static_cast<std::uintptr_t>(q_bytes) && b < a + static_cast<std::uintptr_t>(p_bytes);
}

inline std::string str(std::int64_t v) { return std::to_string(v); }

}  // namespace detail

template <class Fp8, class AScaleLayout, class AScale, class BLayout, class BScale>
status can_implement(const block_scale_gemm_args<Fp8, AScaleLayout, AScale, BLayout, BScale>& p) {
  using Args = block_scale_gemm_args<Fp8, AScaleLayout, AScale, BLayout, BScale>;
  using layout = typename Args::b_layout;
  using detail::str;
  constexpr bool preshuffled = std::is_same_v<layout, b_preshuffled>;
  if (p.a == nullptr) return status::error(status_code::null_pointer, "block_scale_gemm: a is null");
  if (p.a_scale.data == nullptr) return status::error(status_code::null_pointer, "block_scale_gemm: a_scale is null");
  if (p.b.ptr == nullptr) return status::error(status_code::null_pointer, "block_scale_gemm: b is null");
  if (p.b_scale == nullptr) return status::error(status_code::null_pointer, "block_scale_gemm: b_scale is null");
  if (p.c == nullptr) return status::error(status_code::null_pointer, "block_scale_gemm: c is null");
  if (p.m < 1 || p.n < 1 || p.k < 1)
    return status::error(status_code::invalid_shape, "block_scale_gemm: m, n, k must be >= 1 (m=" + str(p.m) +
                                                         ", n=" + str(p.n) + ", k=" + str(p.k) + ")");
  if (p.k % scale_block != 0)
    return status::error(status_code::invalid_shape,
                         "block_scale_gemm: k must be a multiple of 128 (k=" + str(p.k) + ")");
  if (preshuffled && p.n % 16 != 0)
    return status::error(status_code::invalid_shape,
                         "block_scale_gemm: preshuffled B needs n % 16 == 0 (n=" + str(p.n) + ")");
  if (p.lda < p.k)
    return status::error(status_code::invalid_stride,
                         "block_scale_gemm: lda=" + str(p.lda) + " is smaller than k=" + str(p.k));
  if (!preshuffled && p.b.ld < p.k)
    return status::error(status_code::invalid_stride,
                         "block_scale_gemm: b.ld=" + str(p.b.ld) + " is smaller than k=" + str(p.k));
  if (p.ldc < p.n)
    return status::error(status_code::invalid_stride,
                         "block_scale_gemm: ldc=" + str(p.ldc) + " is smaller than n=" + str(p.n));
  const std::int64_t kblocks = p.k / scale_block;
  using scale_layout_t = typename Args::a_scale_layout;
  const std::int64_t min_scale_stride = scale_layout_t::natural_stride(p.m, kblocks);
  if (p.a_scale.stride < min_scale_stride)
    return status::error(status_code::invalid_stride,
                         std::string("block_scale_gemm: a_scale.stride=") + str(p.a_scale.stride) +
                             " is smaller than " + str(min_scale_stride) + " (" + scale_layout_t::name +
                             " scales of " + str(p.m) + " rows, " + str(kblocks) + " k blocks)");
  if (reinterpret_cast<std::uintptr_t>(p.a) % 16 != 0 || p.lda % 16 != 0)
    return status::error(status_code::misaligned, "block_scale_gemm: a must be 16-byte aligned and lda a multiple "
                                                  "of 16 (lda=" + str(p.lda) + ")");
  if (reinterpret_cast<std::uintptr_t>(p.b.ptr) % 16 != 0 || (!preshuffled && p.b.ld % 16 != 0))
    return status::error(status_code::misaligned, "block_scale_gemm: b must be 16-byte aligned and b.ld a multiple "
                                                  "of 16 (b.ld=" + str(p.b.ld) + ")");

  if (p.workspace != nullptr) {
    if (p.workspace_bytes < 1)
      return status::error(status_code::invalid_value, "block_scale_gemm: workspace_bytes=" + str(p.workspace_bytes) +
                                                           " with a workspace");
    if (reinterpret_cast<std::uintptr_t>(p.workspace) % 16 != 0)
      return status::error(status_code::misaligned, "block_scale_gemm: workspace must be 16-byte aligned");
  }

  // C may not overlap any input, nor the workspace.
  const std::int64_t c_bytes = ((p.m - 1) * p.ldc + p.n) * 2;
  const std::int64_t n_blocks = (p.n + scale_block - 1) / scale_block;
  const std::int64_t a_scale_bytes =
      scale_layout_t::extent(p.m, kblocks, p.a_scale.stride) *
      static_cast<std::int64_t>(sizeof(typename Args::a_scale_operand_type::storage_type));
  const std::int64_t b_bytes = preshuffled ? std::int64_t{p.n} * p.k : (p.n - 1) * p.b.ld + p.k;
  if (detail::ranges_overlap(p.c, c_bytes, p.a, (p.m - 1) * p.lda + p.k) ||
      detail::ranges_overlap(p.c, c_bytes, p.b.ptr, b_bytes) ||
      detail::ranges_overlap(p.c, c_bytes, p.a_scale.data, a_scale_bytes) ||
      detail::ranges_overlap(p.c, c_bytes, p.b_scale,
                             n_blocks * kblocks * static_cast<std::int64_t>(sizeof(typename Args::b_scale_type))) ||
      detail::ranges_overlap(p.c, c_bytes, p.bias, std::int64_t{p.n} * 2) ||
      detail::ranges_overlap(p.c, c_bytes, p.workspace, p.workspace != nullptr ? p.workspace_bytes : 0))
    return status::error(status_code::overlap, "block_scale_gemm: c overlaps an input or the workspace");

  if constexpr (compiled_platform != platform_kind::host) {
    const void* pointers[] = {p.a, p.a_scale.data, p.b.ptr, p.b_scale, p.c};
    const char* names[] = {"a", "a_scale", "b", "b_scale", "c"};
    for (int i = 0; i < 5; ++i)
      if (!platform::is_device_accessible(pointers[i]))
        return status::error(status_code::not_device_memory,
                             std::string("block_scale_gemm: ") + names[i] + " is not device memory");
    if (p.bias != nullptr && !platform::is_device_accessible(p.bias))
      return status::error(status_code::not_device_memory, "block_scale_gemm: bias is not device memory");
    if (p.workspace != nullptr && !platform::is_device_accessible(p.workspace))
      return status::error(status_code::not_device_memory, "block_scale_gemm: workspace is not device memory");
  }
  return status::success();
}

// The workspace (args.workspace) that lets the launcher pick every shape for an M × N output: the
// decode shapes that split a tile's k blocks over several blocks hand their sums over through it
// (sm90 wgmma backend). 0 where no such shape exists (other platforms) or applies. Zero the memory
// once; each launch leaves it zeroed. GEMMs that run at the same time need workspaces of their own.
inline std::int64_t block_scale_gemm_workspace_bytes(std::int64_t m, std::int64_t n) {
#if defined(HIPFUSE_PLATFORM_CUDA)
  return wgmma_split_workspace_bytes<wgmma_shape_64x64_g4>(m, n);
#else
  (void)m, (void)n;
  return 0;
#endif
}

// Launches the GEMM with Policy (policy<Arch> by default) when that is known at compile time.
// On sm90 the wgmma backend takes standard B when the program carries its sm_90a code; preshuffled
// B (the AMD layout) and plain-sm_90 builds run the mma.sync tiles.
template <class Policy, class Args>
status launch_block_scale_gemm(const Args& args, platform::launch_stream stream) {
#if defined(HIPFUSE_PLATFORM_CUDA)
  if constexpr (std::is_same_v<typename Policy::template gemm_backend<float>, backend::wgmma_e4m3> &&
                std::is_same_v<typename Args::b_layout, b_standard>) {
    // Every shape is compiled in one pass, so one presence check speaks for all of them.
    if (wgmma_code_present<wgmma_shape_128x128, Args>()) {
      int sms = 0;
      if (status s = platform::multiprocessor_count(sms); !s.ok()) return s;
      const int clusters2 = wgmma_resident_clusters<wgmma_shape_64x64_c2, Args>();
      const std::int64_t split_bytes = block_scale_gemm_workspace_bytes(args.m, args.n);
      const bool split_workspace = args.workspace != nullptr && split_bytes > 0 && args.workspace_bytes >= split_bytes;
      // The L2 decides between prefill tiles only (pick_wgmma_config): decode launches do not ask.
      int l2_bytes = 0;
      if (args.m > 128) {
        if (status s = platform::l2_cache_bytes(l2_bytes); !s.ok()) return s;
      }
      switch (pick_wgmma_config(args.m, args.n, sms, args.k, clusters2, split_workspace, l2_bytes)) {
        case wgmma_config::t192x128: return launch_block_scale_gemm_wgmma<wgmma_shape_192x128, Args>(args, stream, sms);
        case wgmma_config::t128x192: return launch_block_scale_gemm_wgmma<wgmma_shape_128x192, Args>(args, stream, sms);
        case wgmma_config::t128x128: return launch_block_scale_gemm_wgmma<wgmma_shape_128x128, Args>(args, stream, sms);
        case wgmma_config::t128x64: return launch_block_scale_gemm_wgmma<wgmma_shape_128x64, Args>(args, stream, sms);
        case wgmma_config::t64x64: return launch_block_scale_gemm_wgmma<wgmma_shape_64x64, Args>(args, stream, sms);
        case wgmma_config::t64x128: return launch_block_scale_gemm_wgmma<wgmma_shape_64x128, Args>(args, stream, sms);
        case wgmma_config::t64x64_k1:
          return launch_block_scale_gemm_wgmma<wgmma_shape_64x64_k1, Args>(args, stream, sms);
        case wgmma_config::t64x32: return launch_block_scale_gemm_wgmma<wgmma_shape_64x32, Args>(args, stream, sms);
        case wgmma_config::t64x32_k4:
          return launch_block_scale_gemm_wgmma<wgmma_shape_64x32_k4, Args>(args, stream, sms);
        case wgmma_config::t64x16_k4:
          return launch_block_scale_gemm_wgmma<wgmma_shape_64x16_k4, Args>(args, stream, sms);
        case wgmma_config::t64x64_c2:
          return launch_block_scale_gemm_wgmma<wgmma_shape_64x64_c2, Args>(args, stream, sms);
        case wgmma_config::t64x64_g4:
          return launch_block_scale_gemm_wgmma<wgmma_shape_64x64_g4, Args>(args, stream, sms);
      }
    }
    // No sm_90a code in this program: the mma.sync tiles below.
  }
#endif
  auto go = [&](auto small_m) {
    constexpr bool small = decltype(small_m)::value;
    using tile = block_scale_gemm_tile<Policy, Args, small>;
    const int block = Policy::arch::id == arch_id::host ? 1 : tile::threads;
    return platform::launch(block_scale_gemm_kernel<Policy, Args, small>, {tile::grid_x(args.n), tile::grid_y(args.m)},
                            block, 0, stream, args);
  };
  if (args.m <= small_m_threshold) return go(std::true_type{});
  return go(std::false_type{});
}

// Does the GPU found multiply Fp8 operands? (gfx942: e4m3fnuz only; gfx950, NVIDIA: e4m3fn only;
// the host platform: both.)
template <class Fp8>
status check_fp8_format() {
  return with_detected_arch([&](auto arch_tag) -> status {
    using Arch = decltype(arch_tag);
    if constexpr (Arch::id == arch_id::host || std::is_same_v<Fp8, typename Arch::fp8_type>) {
      return status::success();
    } else {
      return status::error(status_code::unsupported_arch, std::string("block_scale_gemm: ") + Arch::name +
                                                              " multiplies " + Arch::fp8_type::name +
                                                              " operands, not " + Fp8::name);
    }
  });
}

// GemmBackend picks a backend explicitly (block_scale_gemm<backend::mma_sync_e4m3>(args) on sm90,
// say); one the GPU found cannot run gives unsupported_arch.
template <class GemmBackend = backend::automatic, class Fp8, class AScaleLayout, class AScale, class BLayout,
          class BScale>
status block_scale_gemm(const block_scale_gemm_args<Fp8, AScaleLayout, AScale, BLayout, BScale>& args,
                        platform::launch_stream stream = {}) {
  if (status s = can_implement(args); !s.ok()) return s;
  if (status s = check_fp8_format<Fp8>(); !s.ok()) return s;
  return with_detected_arch([&](auto arch_tag) -> status {
    using Arch = decltype(arch_tag);
    if constexpr (!std::is_same_v<GemmBackend, backend::automatic> &&
                  !hipfuse::detail::gemm_supported<Arch, GemmBackend, AScale>) {
      return status::error(status_code::unsupported_arch, std::string("block_scale_gemm: backend ") +
                                                              GemmBackend::name + " cannot run on " + Arch::name);
    } else if constexpr (Arch::id == arch_id::host || std::is_same_v<Fp8, typename Arch::fp8_type>) {
      return launch_block_scale_gemm<policy<Arch, backend::automatic, GemmBackend, Fp8>>(args, stream);
    } else {
      return status::error(status_code::unsupported_arch, "block_scale_gemm: fp8 format of the GPU changed");
    }
  });
}

}  // namespace gemm

using gemm::block_scale_gemm;

}  // namespace hipfuse
