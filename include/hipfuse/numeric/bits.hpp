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

}  // namespace hipfuse
