// Packed float -> fp8 conversion on the device. Two atoms use the hardware instruction (AMD
// v_cvt_pk_fp8_f32, NVIDIA cvt.rn.satfinite.e4m3x2.f32); everything else, and every other format
// or overflow mode, uses the portable definition in fp8.hpp. Both give the same bits: the hardware
// paths clamp explicitly first (the AMD result on overflow otherwise depends on the MODE register's
// fp16_ovfl bit) and map NaN to the format's canonical NaN code.
#pragma once
#include <cstdint>
#include <type_traits>
#include "../platform/trap.hpp"
#include "../policy.hpp"
#include "fp8.hpp"

namespace hipfuse {

// What the caller promises about the floats it converts. in_range: finite and within the format's
// +-max (a quantizer that bounds its values itself): the hardware paths then skip their clamp and
// NaN fix-ups, which are most of a memory-bound kernel's instructions. not_nan: any magnitude,
// +-inf included, but no NaN: the NaN fix-ups go, the clamp stays where the hardware needs one
// (NVIDIA's satfinite convert saturates by itself). The result for such inputs is the same bits
// either way.
enum class fp8_inputs { any, in_range, not_nan };

// Does this policy's convert saturate out-of-range values without a clamp of ours (so a caller
// with no NaN need not bound its values first)? NVIDIA's hardware convert and the emulation do.
template <class Policy>
inline constexpr bool fp8_convert_saturates_itself =
    !Policy::arch::is_amd ||
    !std::is_same_v<typename Policy::template fp8_convert_backend<fp8_overflow::saturate>, backend::hardware_fp8_convert>;

namespace detail {

template <class Fp8>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE float clamp_to_fp8_range(float x) {
  // NaN compares false and passes through unchanged; +-inf and finite overflow become +-max.
  return abs_float(x) > Fp8::max_finite ? (x < 0.0f ? -Fp8::max_finite : Fp8::max_finite) : x;
}

template <class Fp8>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::uint32_t fix_nan_byte(std::uint32_t packed, float x, int byte) {
  // Written as a mask, not a select between two words: LLVM 22 crashes selecting gfx942
  // instructions for the select form once a thread converts two words of computed values.
  const std::uint32_t mask = is_nan(x) ? 0xFFu << (8 * byte) : 0u;
  return (packed & ~mask) | (0x01010101u * Fp8::nan_code & mask);
}

// Atom: AMD gfx942 (fnuz) / gfx950 (OCP) hardware convert of four floats.
template <class Arch, class Fp8, fp8_inputs Inputs = fp8_inputs::any>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::uint32_t amd_cvt_pk_fp8x4(float a, float b, float c, float d) {
#if defined(__gfx942__) || defined(__gfx950__)
  static_assert(std::is_same_v<Fp8, typename Arch::fp8_type>, "the AMD convert makes the arch's own fp8 format");
  if constexpr (Inputs == fp8_inputs::in_range) {
    const std::uint32_t low = static_cast<std::uint32_t>(__builtin_amdgcn_cvt_pk_fp8_f32(a, b, 0, false));
    return static_cast<std::uint32_t>(__builtin_amdgcn_cvt_pk_fp8_f32(c, d, static_cast<int>(low), true));
  }
  std::uint32_t packed = static_cast<std::uint32_t>(__builtin_amdgcn_cvt_pk_fp8_f32(
      clamp_to_fp8_range<Fp8>(a), clamp_to_fp8_range<Fp8>(b), 0, false));
  packed = static_cast<std::uint32_t>(__builtin_amdgcn_cvt_pk_fp8_f32(
      clamp_to_fp8_range<Fp8>(c), clamp_to_fp8_range<Fp8>(d), static_cast<int>(packed), true));
  if constexpr (Inputs == fp8_inputs::not_nan) return packed;
  packed = fix_nan_byte<Fp8>(packed, a, 0);
  packed = fix_nan_byte<Fp8>(packed, b, 1);
  packed = fix_nan_byte<Fp8>(packed, c, 2);
  return fix_nan_byte<Fp8>(packed, d, 3);
#else
  (void)a, (void)b, (void)c, (void)d;
  platform::trap("amd_cvt_pk_fp8x4 reached on a target other than gfx942/gfx950");
#endif
}

// Atom: NVIDIA sm89+ hardware convert (OCP e4m3, satfinite) of four floats.
template <class Arch, class Fp8, fp8_inputs Inputs = fp8_inputs::any>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::uint32_t nvidia_cvt_e4m3x4(float a, float b, float c, float d) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  static_assert(std::is_same_v<Fp8, float8_e4m3fn>, "the NVIDIA convert makes OCP e4m3fn");
  unsigned short low, high;
  // cvt puts its first source in the upper byte.
  asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(low) : "f"(b), "f"(a));
  asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(high) : "f"(d), "f"(c));
  std::uint32_t packed = static_cast<std::uint32_t>(low) | (static_cast<std::uint32_t>(high) << 16);
  if constexpr (Inputs != fp8_inputs::any) return packed;  // satfinite: no clamp needed
  packed = fix_nan_byte<Fp8>(packed, a, 0);
  packed = fix_nan_byte<Fp8>(packed, b, 1);
  packed = fix_nan_byte<Fp8>(packed, c, 2);
  return fix_nan_byte<Fp8>(packed, d, 3);
#else
  (void)a, (void)b, (void)c, (void)d;
  platform::trap("nvidia_cvt_e4m3x4 reached on a target other than sm89/sm90");
#endif
}

// Atoms for two floats (one instruction each), byte 0 = a, byte 1 = b.
template <class Arch, class Fp8>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::uint16_t amd_cvt_pk_fp8x2(float a, float b) {
#if defined(__gfx942__) || defined(__gfx950__)
  static_assert(std::is_same_v<Fp8, typename Arch::fp8_type>, "the AMD convert makes the arch's own fp8 format");
  std::uint32_t packed = static_cast<std::uint32_t>(
      __builtin_amdgcn_cvt_pk_fp8_f32(clamp_to_fp8_range<Fp8>(a), clamp_to_fp8_range<Fp8>(b), 0, false));
  packed = fix_nan_byte<Fp8>(fix_nan_byte<Fp8>(packed, a, 0), b, 1);
  return static_cast<std::uint16_t>(packed);
#else
  (void)a, (void)b;
  platform::trap("amd_cvt_pk_fp8x2 reached on a target other than gfx942/gfx950");
#endif
}

template <class Arch, class Fp8>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::uint16_t nvidia_cvt_e4m3x2(float a, float b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  static_assert(std::is_same_v<Fp8, float8_e4m3fn>, "the NVIDIA convert makes OCP e4m3fn");
  unsigned short packed;
  asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(packed) : "f"(b), "f"(a));
  return static_cast<std::uint16_t>(fix_nan_byte<Fp8>(fix_nan_byte<Fp8>(packed, a, 0), b, 1));
#else
  (void)a, (void)b;
  platform::trap("nvidia_cvt_e4m3x2 reached on a target other than sm89/sm90");
#endif
}

}  // namespace detail

// Two floats -> two fp8 codes, byte 0 = code of a, byte 1 = code of b.
template <class Policy, fp8_overflow Overflow = fp8_overflow::saturate>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint16_t convert_to_fp8x2(float a, float b) {
  using Fp8 = typename Policy::fp8_type;
  if constexpr (std::is_same_v<typename Policy::template fp8_convert_backend<Overflow>, backend::hardware_fp8_convert>) {
#if defined(HIPFUSE_DEVICE_PASS)
    using Arch = typename Policy::arch;
    if constexpr (Arch::is_amd) {
      return detail::amd_cvt_pk_fp8x2<Arch, Fp8>(a, b);
    } else {
      return detail::nvidia_cvt_e4m3x2<Arch, Fp8>(a, b);
    }
#else
    platform::trap("a hardware fp8 convert was called from host code; use a policy for arch::host on the host");
#endif
  } else {
    return static_cast<std::uint16_t>(float_to_fp8<Fp8, Overflow>(a).bits |
                                      (static_cast<std::uint32_t>(float_to_fp8<Fp8, Overflow>(b).bits) << 8));
  }
}

// Four floats -> four fp8 codes, byte i = code of the i-th argument.
template <class Policy, fp8_overflow Overflow = fp8_overflow::saturate, fp8_inputs Inputs = fp8_inputs::any>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint32_t convert_to_fp8x4(float a, float b, float c, float d) {
  using Fp8 = typename Policy::fp8_type;
  if constexpr (std::is_same_v<typename Policy::template fp8_convert_backend<Overflow>, backend::hardware_fp8_convert>) {
#if defined(HIPFUSE_DEVICE_PASS)
    using Arch = typename Policy::arch;
    if constexpr (Arch::is_amd) {
      return detail::amd_cvt_pk_fp8x4<Arch, Fp8, Inputs>(a, b, c, d);
    } else {
      return detail::nvidia_cvt_e4m3x4<Arch, Fp8, Inputs>(a, b, c, d);
    }
#else
    platform::trap("a hardware fp8 convert was called from host code; use a policy for arch::host on the host");
#endif
  } else {
    return static_cast<std::uint32_t>(float_to_fp8<Fp8, Overflow>(a).bits) |
           (static_cast<std::uint32_t>(float_to_fp8<Fp8, Overflow>(b).bits) << 8) |
           (static_cast<std::uint32_t>(float_to_fp8<Fp8, Overflow>(c).bits) << 16) |
           (static_cast<std::uint32_t>(float_to_fp8<Fp8, Overflow>(d).bits) << 24);
  }
}

}  // namespace hipfuse
