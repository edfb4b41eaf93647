// Float64 RMSNorm reference, written from the definition (DESIGN numerics) and independent of the
// library: its own rounding to bf16/fp16, its own loops.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>
#include <hipfuse/numeric/half_types.hpp>

namespace hipfuse_test {

// Round x to a binary format with `bits` significand bits (implicit one included), smallest normal
// exponent `min_exp` (as in 2^min_exp) and largest finite `max_finite`, ties to even.
inline double round_to_format(double x, int bits, int min_exp, double max_finite) {
  if (std::isnan(x) || std::isinf(x) || x == 0.0) return x;
  int e = 0;
  std::frexp(x, &e);  // |x| in [2^(e-1), 2^e)
  int exponent = e - 1;
  if (exponent < min_exp) exponent = min_exp;  // subnormal: fixed spacing
  const double quantum = std::ldexp(1.0, exponent - (bits - 1));
  const double r = std::nearbyint(x / quantum) * quantum;  // default rounding mode: ties to even
  if (std::fabs(r) > max_finite) return x > 0 ? INFINITY : -INFINITY;
  return r;
}

struct bf16_format {
  static double round(double x) { return round_to_format(x, 8, -126, 3.3895313892515355e38); }
  static double ulp(double x) {
    int e = 0;
    std::frexp(x == 0.0 ? 1e-38 : x, &e);
    return std::ldexp(1.0, std::max(e - 1, -126) - 7);
  }
};
struct fp16_format {
  static double round(double x) { return round_to_format(x, 11, -14, 65504.0); }
  static double ulp(double x) {
    int e = 0;
    std::frexp(x == 0.0 ? 1e-8 : x, &e);
    return std::ldexp(1.0, std::max(e - 1, -14) - 10);
  }
};

// Decoding of stored 16-bit values, independent of the library's conversions.
inline double decode_bf16_bits(std::uint16_t b) {
  const std::uint32_t u = static_cast<std::uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline double decode_fp16_bits(std::uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  double v;
  if (exponent == 0x1F) v = mantissa ? NAN : INFINITY;
  else if (exponent == 0) v = std::ldexp(mantissa, -24);
  else v = std::ldexp(1024 + mantissa, exponent - 25);
  return sign ? -v : v;
}

// One row: y = x / sqrt(mean(x^2) + eps) * (w + offset), in float64. x already includes the
// residual when there is one.
inline std::vector<double> rmsnorm_row_reference(const std::vector<double>& x, const std::vector<double>& w, double eps,
                                                 double weight_offset) {
  double sum = 0.0;
  for (double v : x) sum += v * v;
  const double inv = 1.0 / std::sqrt(sum / static_cast<double>(x.size()) + eps);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * (w[i] + weight_offset);
  return y;
}

// Typed views for the tests: the library's storage types decoded by the functions above.
inline double decode(float v) { return v; }
inline double decode(hipfuse::bfloat16 v) { return decode_bf16_bits(v.bits); }
inline double decode(hipfuse::float16 v) { return decode_fp16_bits(v.bits); }

// The value a T stores for x: rounding to bf16/fp16 from float64, identity for float.
template <class T>
double round_to(double x) {
  if constexpr (std::is_same_v<T, hipfuse::bfloat16>) return bf16_format::round(x);
  else if constexpr (std::is_same_v<T, hipfuse::float16>) return fp16_format::round(x);
  else return static_cast<double>(static_cast<float>(x));
}

// Is an output within tolerance of the float64 reference? 16-bit outputs: one ulp of their format
// (the library rounds once from fp32; half an ulp plus fp32 error). fp32 outputs: 1e-5 relative.
template <class OutT>
bool within_tolerance(double got, double ref) {
  if (std::isnan(got) || std::isnan(ref)) return false;
  const double err = std::fabs(got - ref);
  if constexpr (std::is_same_v<OutT, hipfuse::bfloat16>) return err <= bf16_format::ulp(ref);
  else if constexpr (std::is_same_v<OutT, hipfuse::float16>) return err <= fp16_format::ulp(ref);
  else return err <= 1e-5 * std::fabs(ref) + 1e-6;
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

}  // namespace hipfuse_test
