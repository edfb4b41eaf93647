// policy<Arch, ReduceBackend, GemmBackend, Fp8>: the compile-time choice of how an op runs.
// `automatic` resolves from the arch's capabilities through one fallback chain per op family,
// written down here and nowhere else. Naming a backend the arch cannot run is a compile error that
// says what to pick instead. HIPFUSE_DISABLE_<BACKEND> removes a backend from every chain (for a
// compiler that miscompiles it, say) so the next one in the chain is used.
#pragma once
#include <type_traits>
#include "arch/traits.hpp"
#include "numeric/fp8_format.hpp"
#include "numeric/ue8m0.hpp"

namespace hipfuse {
namespace backend {

struct automatic {
  static constexpr const char* name = "automatic";
};

// Block reductions (RMSNorm, quantization amax).
// rocprim::block_reduce (DPP on AMD)
struct rocprim {
  static constexpr const char* name = "rocprim";
};
// cub::BlockReduce (NVIDIA)
struct cub {
  static constexpr const char* name = "cub";
};
// hipfuse's own wave shuffles + shared memory, any GPU arch
struct native {
  static constexpr const char* name = "native";
};
// one thread: the host platform
struct serial {
  static constexpr const char* name = "serial";
};

// FP8 matrix multiply-accumulate for the block-scale GEMM.
// gfx942 v_mfma_f32_*_fp8_fp8
struct mfma_fp8 {
  static constexpr const char* name = "mfma_fp8";
};
// gfx950 v_mfma_f32_*_f8f6f4, scales applied in fp32 after each 128-K block
struct mfma_f8f6f4 {
  static constexpr const char* name = "mfma_f8f6f4";
};
// gfx950 v_mfma_scale_f32_*_f8f6f4, UE8M0 scales applied by the hardware
struct mfma_scaled {
  static constexpr const char* name = "mfma_scaled";
};
// NVIDIA sm89/sm90 mma.sync.m16n8k32 e4m3
struct mma_sync_e4m3 {
  static constexpr const char* name = "mma_sync_e4m3";
};
// NVIDIA sm90 wgmma m64nNk32 e4m3 with tensor-copy (TMA) loads: a whole-kernel backend (warp-
// specialized, persistent). Inside users' own kernels the sm90 tile functor runs mma.sync tiles.
struct wgmma_e4m3 {
  static constexpr const char* name = "wgmma_e4m3";
};
// scalar fp32 dot products: every platform
struct reference_matmul {
  static constexpr const char* name = "reference_matmul";
};

// FP8 conversion of quantized values.
// v_cvt_pk_fp8_f32 / cvt.rn.satfinite.e4m3x2.f32
struct hardware_fp8_convert {
  static constexpr const char* name = "hardware_fp8_convert";
};
// the portable definition in numeric/fp8.hpp
struct emulated_fp8_convert {
  static constexpr const char* name = "emulated_fp8_convert";
};

}  // namespace backend

namespace detail {

#if defined(HIPFUSE_DISABLE_ROCPRIM)
inline constexpr bool rocprim_enabled = false;
#else
inline constexpr bool rocprim_enabled = true;
#endif
#if defined(HIPFUSE_DISABLE_CUB)
inline constexpr bool cub_enabled = false;
#else
inline constexpr bool cub_enabled = true;
#endif
#if defined(HIPFUSE_DISABLE_MFMA_SCALED)
inline constexpr bool mfma_scaled_enabled = false;
#else
inline constexpr bool mfma_scaled_enabled = true;
#endif
#if defined(HIPFUSE_DISABLE_WGMMA)
inline constexpr bool wgmma_enabled = false;
#else
inline constexpr bool wgmma_enabled = true;
#endif
#if defined(HIPFUSE_DISABLE_MATRIX_UNIT)
inline constexpr bool matrix_unit_enabled = false;
#else
inline constexpr bool matrix_unit_enabled = true;
#endif

// Can Arch run this reduction backend at all?
template <class Arch, class B>
inline constexpr bool reduce_supported =
    std::is_same_v<B, backend::rocprim>  ? Arch::is_amd
    : std::is_same_v<B, backend::cub>    ? (Arch::id == arch_id::sm89 || Arch::id == arch_id::sm90)
    : std::is_same_v<B, backend::native> ? Arch::id != arch_id::host
    : std::is_same_v<B, backend::serial> ? Arch::id == arch_id::host
                                         : false;

// Reduction chain: the vendor library first, then hipfuse's own shuffles; serial on the host.
template <class Arch>
using auto_reduce_backend = std::conditional_t<
    Arch::id == arch_id::host, backend::serial,
    std::conditional_t<Arch::is_amd && rocprim_enabled, backend::rocprim,
                       std::conditional_t<!Arch::is_amd && cub_enabled, backend::cub, backend::native>>>;

template <class Arch, class Requested>
struct resolve_reduce {
  static_assert(reduce_supported<Arch, Requested>,
                "this reduction backend cannot run on the policy's arch: on gfx942/gfx950 pick backend::rocprim or "
                "backend::native, on sm89/sm90 backend::cub or backend::native, on host backend::serial "
                "(or backend::automatic)");
  using type = Requested;
};
template <class Arch>
struct resolve_reduce<Arch, backend::automatic> {
  using type = auto_reduce_backend<Arch>;
};

template <class Arch, class B, class Scale>
inline constexpr bool gemm_supported =
    std::is_same_v<B, backend::mfma_fp8>           ? Arch::matrix_unit == arch::fp8_matrix_unit::mfma_fp8
    : std::is_same_v<B, backend::mfma_f8f6f4>      ? Arch::matrix_unit == arch::fp8_matrix_unit::mfma_f8f6f4
    : std::is_same_v<B, backend::mfma_scaled>      ? Arch::has_scaled_mfma && std::is_same_v<Scale, ue8m0>
    : std::is_same_v<B, backend::mma_sync_e4m3>    ? Arch::matrix_unit == arch::fp8_matrix_unit::mma_sync_e4m3
    : std::is_same_v<B, backend::wgmma_e4m3>       ? Arch::has_wgmma
    : std::is_same_v<B, backend::reference_matmul> ? true
                                                   : false;

// GEMM chain: the hardware-scaled MFMA when scales are powers of two, wgmma on Hopper, then the
// arch's plain matrix instruction, then the scalar reference.
template <class Arch, class Scale>
using auto_gemm_backend = std::conditional_t<
    mfma_scaled_enabled && matrix_unit_enabled && gemm_supported<Arch, backend::mfma_scaled, Scale>,
    backend::mfma_scaled,
    std::conditional_t<wgmma_enabled && matrix_unit_enabled && Arch::has_wgmma, backend::wgmma_e4m3,
    std::conditional_t<
        !matrix_unit_enabled || Arch::matrix_unit == arch::fp8_matrix_unit::none, backend::reference_matmul,
        std::conditional_t<Arch::matrix_unit == arch::fp8_matrix_unit::mfma_fp8, backend::mfma_fp8,
                           std::conditional_t<Arch::matrix_unit == arch::fp8_matrix_unit::mfma_f8f6f4,
                                              backend::mfma_f8f6f4, backend::mma_sync_e4m3>>>>>;

template <class Arch, class Requested, class Scale>
struct resolve_gemm {
  static_assert(gemm_supported<Arch, Requested, Scale>,
                "this GEMM backend cannot run on the policy's arch: gfx942 takes backend::mfma_fp8, gfx950 "
                "backend::mfma_f8f6f4 (or backend::mfma_scaled with ue8m0 scales), sm89 "
                "backend::mma_sync_e4m3, sm90 backend::wgmma_e4m3 or backend::mma_sync_e4m3, any arch backend::reference_matmul (or backend::automatic)");
  using type = Requested;
};
template <class Arch, class Scale>
struct resolve_gemm<Arch, backend::automatic, Scale> {
  using type = auto_gemm_backend<Arch, Scale>;
};

// The hardware convert produces only the arch's own fp8 format, saturating.
template <class Arch, class Fp8, fp8_overflow Overflow>
using auto_fp8_convert = std::conditional_t<Arch::has_hardware_fp8_convert && std::is_same_v<Fp8, typename Arch::fp8_type> &&
                                                Overflow == fp8_overflow::saturate,
                                            backend::hardware_fp8_convert, backend::emulated_fp8_convert>;

// The arch's own fp8 format; a placeholder for a non-arch so that policy's static_assert, not a
// missing-member error, is what the user sees.
template <class Arch, class = void>
struct default_fp8 {
  using type = float8_e4m3fn;
};
template <class Arch>
struct default_fp8<Arch, std::void_t<typename Arch::fp8_type>> {
  using type = typename Arch::fp8_type;
};

}  // namespace detail

template <class Arch, class ReduceBackend = backend::automatic, class GemmBackend = backend::automatic,
          class Fp8 = typename detail::default_fp8<Arch>::type>
struct policy {
  static_assert(arch::is_arch<Arch>, "policy's first parameter must be an arch tag: arch::gfx942, arch::gfx950, "
                                     "arch::sm89, arch::sm90 or arch::host");
  static_assert(is_fp8_format<Fp8>, "policy's fp8 format must be float8_e4m3fn or float8_e4m3fnuz");

  using arch = Arch;
  using fp8_type = Fp8;
  using requested_gemm_backend = GemmBackend;
  using reduce_backend = typename detail::resolve_reduce<Arch, ReduceBackend>::type;
  template <class Scale>
  using gemm_backend = typename detail::resolve_gemm<Arch, GemmBackend, Scale>::type;
  template <fp8_overflow Overflow = fp8_overflow::saturate>
  using fp8_convert_backend = detail::auto_fp8_convert<Arch, Fp8, Overflow>;

  static constexpr int wave_size = Arch::wave_size;
};

// The same policy with another fp8 format (e.g. OCP e4m3fn emulated on gfx942).
template <class Policy, class Fp8>
using with_fp8 =
    policy<typename Policy::arch, typename Policy::reduce_backend, typename Policy::requested_gemm_backend, Fp8>;

}  // namespace hipfuse
