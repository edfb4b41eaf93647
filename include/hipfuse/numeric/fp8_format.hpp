// The two FP8 E4M3 encodings hipfuse produces, as 1-byte value types with bit access.
// e4m3fn   (OCP; gfx950, NVIDIA): bias 7, max 448 = 0x7E, NaN = S.1111.111, has -0, no inf.
// e4m3fnuz (gfx942):              bias 8, max 240 = 0x7F, NaN = 0x80 only, no -0, no inf.
#pragma once
#include <cstdint>
#include "../config.hpp"

namespace hipfuse {

struct float8_e4m3fn {
  std::uint8_t bits;
  static constexpr int exponent_bias = 7;
  static constexpr float max_finite = 448.0f;
  static constexpr std::uint8_t max_code = 0x7E;
  static constexpr std::uint8_t nan_code = 0x7F;  // canonical NaN produced for NaN input
  static constexpr bool has_negative_zero = true;
  static constexpr const char* name = "e4m3fn";
};

struct float8_e4m3fnuz {
  std::uint8_t bits;
  static constexpr int exponent_bias = 8;
  static constexpr float max_finite = 240.0f;
  static constexpr std::uint8_t max_code = 0x7F;
  static constexpr std::uint8_t nan_code = 0x80;
  static constexpr bool has_negative_zero = false;
  static constexpr const char* name = "e4m3fnuz";
};

static_assert(sizeof(float8_e4m3fn) == 1 && sizeof(float8_e4m3fnuz) == 1, "fp8 types are one byte");

template <class T>
inline constexpr bool is_fp8_format = false;
template <>
inline constexpr bool is_fp8_format<float8_e4m3fn> = true;
template <>
inline constexpr bool is_fp8_format<float8_e4m3fnuz> = true;

// How a float outside the representable range is encoded.
enum class fp8_overflow {
  saturate,  // |x| > max (inf included) -> +-max; NaN -> NaN. Default for quantization.
  to_nan,    // round first; a rounded magnitude above max (or inf) -> NaN (OCP / ml_dtypes rule).
};

}  // namespace hipfuse
