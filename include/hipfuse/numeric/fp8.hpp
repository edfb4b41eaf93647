// FP8 E4M3 conversions defined in portable arithmetic. This emulation is the definition of every
// conversion hipfuse makes: device fast paths (numeric/fp8_convert.hpp) must give the same bits.
#pragma once
#include <cstdint>
#include "bits.hpp"
#include "fp8_format.hpp"

namespace hipfuse {

// fp8 code -> float, exact.
template <class Fp8>
HIPFUSE_HOST_DEVICE inline float fp8_to_float(Fp8 v) {
  static_assert(is_fp8_format<Fp8>, "fp8_to_float takes float8_e4m3fn or float8_e4m3fnuz");
  const std::uint32_t code = v.bits;
  const bool negative = (code & 0x80u) != 0;
  if (Fp8::has_negative_zero ? (code & 0x7Fu) == 0x7Fu : code == 0x80u) return quiet_nan();
  const int exponent_field = static_cast<int>((code >> 3) & 0xFu);
  const int mantissa = static_cast<int>(code & 0x7u);
  // Subnormals have an implicit 0 and the exponent of the smallest normal.
  const float magnitude = exponent_field == 0
                              ? static_cast<float>(mantissa) * exp2_int(1 - Fp8::exponent_bias - 3)
                              : static_cast<float>(8 + mantissa) * exp2_int(exponent_field - Fp8::exponent_bias - 3);
  return negative ? -magnitude : magnitude;
}

// float -> fp8 code with round-to-nearest-even and the given overflow rule.
template <class Fp8, fp8_overflow Overflow = fp8_overflow::saturate>
HIPFUSE_HOST_DEVICE inline Fp8 float_to_fp8(float x) {
  static_assert(is_fp8_format<Fp8>, "float_to_fp8 makes float8_e4m3fn or float8_e4m3fnuz");
  constexpr int bias = Fp8::exponent_bias;
  const std::uint32_t u = float_bits(x);
  const std::uint32_t sign = (u >> 31) << 7;
  if (is_nan(x)) return Fp8{Fp8::nan_code};
  if (is_inf(x)) return Fp8{static_cast<std::uint8_t>(Overflow == fp8_overflow::saturate ? (sign | Fp8::max_code) : Fp8::nan_code)};

  // Quantum (spacing of fp8 values) at |x|: 2^(e-3) in the normal range, 2^(1-bias-3) below it.
  const float ax = abs_float(x);
  const int e = static_cast<int>((u >> 23) & 0xFFu) - 127;
  const bool subnormal = e < 1 - bias;
  const int quantum_exponent = subnormal ? 1 - bias - 3 : e - 3;
  // y = |x| / quantum is exact (power-of-two scale) and lies in [0, 16): adding and removing
  // 2^23 rounds it to an integer with the float unit's round-to-nearest-even.
  const float y = ax * exp2_int(-quantum_exponent);
  const float magic = 8388608.0f;
  const int r = static_cast<int>((y + magic) - magic);

  int magnitude;  // (exponent_field << 3) | mantissa, possibly beyond the format
  if (subnormal) {
    magnitude = r;  // r == 8 is exactly the smallest normal, whose encoding is also 8
  } else {
    magnitude = ((e + bias) << 3) + (r - 8);  // r == 16 carries into the next exponent
  }
  if (magnitude > Fp8::max_code) {
    return Fp8{static_cast<std::uint8_t>(Overflow == fp8_overflow::saturate ? (sign | Fp8::max_code) : Fp8::nan_code)};
  }
  if (magnitude == 0 && !Fp8::has_negative_zero) return Fp8{0};
  return Fp8{static_cast<std::uint8_t>(sign | static_cast<std::uint32_t>(magnitude))};
}

}  // namespace hipfuse
