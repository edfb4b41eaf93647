// 16-bit storage types (bf16, fp16) with bit-exact round-to-nearest-even conversions that give the
// same bits on every platform. They are layout-compatible with __hip_bfloat16 / __nv_bfloat16 and
// _Float16 / __half, so user buffers of those types can be passed by reinterpret_cast.
#pragma once
#include <cstdint>
#include <type_traits>
#include "bits.hpp"

namespace hipfuse {

struct bfloat16 {
  std::uint16_t bits;
  static constexpr const char* name = "bf16";
};

struct float16 {
  std::uint16_t bits;
  static constexpr const char* name = "fp16";
};

HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float to_float(bfloat16 v) {
  return float_from_bits(static_cast<std::uint32_t>(v.bits) << 16);
}

HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE bfloat16 to_bfloat16(float x) {
  const std::uint32_t u = float_bits(x);
  // Every NaN becomes 0x7FFF, the canonical NaN NVIDIA's converts (cvt.rn.bf16x2.f32,
  // __float2bfloat16_rn) write, so the packed hardware convert below needs no fix-up.
  if (is_nan(x)) return bfloat16{static_cast<std::uint16_t>(0x7FFFu)};
  const std::uint32_t rounding = 0x7FFFu + ((u >> 16) & 1u);                          // ties to even
  return bfloat16{static_cast<std::uint16_t>((u + rounding) >> 16)};
}

HIPFUSE_HOST_DEVICE inline float to_float(float16 v) {
  const std::uint32_t h = v.bits;
  const std::uint32_t sign = (h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu;
  const std::uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0x1Fu) return float_from_bits(sign | 0x7F800000u | (mantissa << 13));
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * exp2_int(-24);  // subnormal: exact
    return sign ? -magnitude : magnitude;
  }
  return float_from_bits(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

HIPFUSE_HOST_DEVICE inline float16 to_float16(float x) {
  const std::uint32_t u = float_bits(x);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  const std::uint32_t abs_bits = u & 0x7FFFFFFFu;
  if (abs_bits > 0x7F800000u) return float16{static_cast<std::uint16_t>(sign | 0x7E00u)};  // NaN
  if (abs_bits >= 0x477FF000u) return float16{static_cast<std::uint16_t>(sign | 0x7C00u)};  // rounds to >= 65520: inf
  if (abs_bits < 0x38800000u) {
    // Below the smallest normal (2^-14): the result is a multiple of 2^-24. Scaling by 2^24 is exact
    // and adding/removing 2^23 rounds to an integer with round-to-nearest-even.
    const float y = abs_float(x) * exp2_int(24);
    const std::uint32_t r = static_cast<std::uint32_t>((y + 8388608.0f) - 8388608.0f);
    return float16{static_cast<std::uint16_t>(sign | r)};  // r == 0x400 is the smallest normal
  }
  const std::uint32_t rounding = 0xFFFu + ((abs_bits >> 13) & 1u);
  const std::uint32_t rebased = abs_bits - (112u << 23) + rounding;
  return float16{static_cast<std::uint16_t>(sign | (rebased >> 13))};
}

HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float to_float(float x) { return x; }

// Rounding a float to the storage type T; identity for float.
template <class T>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE T from_float(float x);
template <>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float from_float<float>(float x) { return x; }
template <>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE bfloat16 from_float<bfloat16>(float x) { return to_bfloat16(x); }
template <>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float16 from_float<float16>(float x) { return to_float16(x); }

// Two values rounded at once, a in the low half: the same bits as two to_bfloat16() calls. On
// NVIDIA GPUs from sm_80 one packed convert (cvt.rn.bf16x2.f32) rounds both, where the portable
// rounding takes about seven integer instructions per value.
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint32_t to_bfloat16x2_bits(float a, float b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  std::uint32_t packed;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(packed) : "f"(b), "f"(a));  // the first source goes high
  return packed;
#else
  return static_cast<std::uint32_t>(to_bfloat16(a).bits) | (static_cast<std::uint32_t>(to_bfloat16(b).bits) << 16);
#endif
}

// The same as two bf16 values. The pair goes through the packed convert only when neither is NaN,
// although the portable rounding gives the same bits for NaN: the (never taken) branch keeps ptxas
// from hoisting a whole row's conversions ahead of its stores, which in the RMSNorm kernels took
// 103 instead of 64 registers and ran [T, 7168] at 62 % instead of 100 % of the copy bandwidth.
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void to_bfloat16x2(float a, float b, bfloat16& ra, bfloat16& rb) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  if (__builtin_expect(a == a && b == b, 1)) {
    const std::uint32_t packed = to_bfloat16x2_bits(a, b);
    ra = bfloat16{static_cast<std::uint16_t>(packed & 0xFFFFu)};
    rb = bfloat16{static_cast<std::uint16_t>(packed >> 16)};
    return;
  }
#endif
  ra = to_bfloat16(a);
  rb = to_bfloat16(b);
}

// from_float for a pair (the packed convert where T is bf16).
template <class T>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void from_float2(float a, float b, T& ra, T& rb) {
  if constexpr (std::is_same_v<T, bfloat16>) {
    to_bfloat16x2(a, b, ra, rb);
  } else {
    ra = from_float<T>(a);
    rb = from_float<T>(b);
  }
}

template <class T>
inline constexpr bool is_activation_type = false;
template <>
inline constexpr bool is_activation_type<float> = true;
template <>
inline constexpr bool is_activation_type<bfloat16> = true;
template <>
inline constexpr bool is_activation_type<float16> = true;

}  // namespace hipfuse
