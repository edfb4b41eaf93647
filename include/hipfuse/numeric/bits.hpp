// Bit-level reinterpretation usable on host and device.
#pragma once
#include <cstdint>
#include "../config.hpp"

namespace hipfuse {

template <class To, class From>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE To bit_cast(const From& from) {
  static_assert(sizeof(To) == sizeof(From), "bit_cast needs equal sizes");
  To to;
  __builtin_memcpy(&to, &from, sizeof(To));
  return to;
}

HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint32_t float_bits(float x) { return bit_cast<std::uint32_t>(x); }
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float float_from_bits(std::uint32_t u) { return bit_cast<float>(u); }

// 2^e as a float for e in [-126, 127], exactly.
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float exp2_int(int e) {
  return float_from_bits(static_cast<std::uint32_t>(e + 127) << 23);
}

HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE bool is_nan(float x) { return (float_bits(x) & 0x7FFFFFFFu) > 0x7F800000u; }
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE bool is_inf(float x) { return (float_bits(x) & 0x7FFFFFFFu) == 0x7F800000u; }
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float abs_float(float x) { return float_from_bits(float_bits(x) & 0x7FFFFFFFu); }
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float quiet_nan() { return float_from_bits(0x7FC00000u); }

// The larger of each 16-bit half of a and b, unsigned (one instruction on sm_90).
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint32_t max_u16x2(std::uint32_t a, std::uint32_t b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  std::uint32_t r;
  asm("max.u16x2 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
  return r;
#else
  const std::uint32_t lo_a = a & 0xFFFFu, lo_b = b & 0xFFFFu, hi_a = a >> 16, hi_b = b >> 16;
  return (lo_a > lo_b ? lo_a : lo_b) | ((hi_a > hi_b ? hi_a : hi_b) << 16);
#endif
}

}  // namespace hipfuse
