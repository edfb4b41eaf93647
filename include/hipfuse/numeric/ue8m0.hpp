// UE8M0: an unsigned power-of-two scale, 8 exponent bits, value 2^(bits - 127).
#pragma once
#include <cstdint>
#include "bits.hpp"

namespace hipfuse {

struct ue8m0 {
  std::uint8_t bits;
  static constexpr const char* name = "ue8m0";
};

// The smallest power of two >= s (for finite s > 0), bit-exactly: the exponent is bumped when any
// mantissa bit is set, then clamped to [1, 254] so the scale is a normal, finite float.
// NaN gives the E8M0 NaN code 0xFF.
HIPFUSE_HOST_DEVICE inline ue8m0 ue8m0_round_up(float s) {
  if (is_nan(s)) return ue8m0{0xFF};
  const std::uint32_t u = float_bits(s);
  int e = static_cast<int>((u >> 23) & 0xFFu) + ((u & 0x7FFFFFu) != 0 ? 1 : 0);
  e = e < 1 ? 1 : (e > 254 ? 254 : e);
  return ue8m0{static_cast<std::uint8_t>(e)};
}

HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float to_float(ue8m0 s) {
  return s.bits == 0xFF ? quiet_nan() : float_from_bits(static_cast<std::uint32_t>(s.bits) << 23);
}

}  // namespace hipfuse
