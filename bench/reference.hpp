// Host references for the benchmarks' correctness checks, written from the numerics in the docs and
// independently of the library code they check.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>
#include <hipfuse/numeric/half_types.hpp>

namespace hipfuse_bench {

inline float bf16_value(hipfuse::bfloat16 v) {
  const std::uint32_t u = static_cast<std::uint32_t>(v.bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// OCP e4m3fn: (8 + m)·2^(e-10) for e > 0, m·2^-9 for e = 0; S.1111.111 is NaN.
inline double e4m3fn_value(std::uint8_t b) {
  const int e = (b >> 3) & 15, m = b & 7;
  if (e == 15 && m == 7) return NAN;
  const double v = e == 0 ? m * std::ldexp(1.0, -9) : (8 + m) * std::ldexp(1.0, e - 10);
  return (b & 0x80) ? -v : v;
}

// e4m3fn code of a finite float, round to nearest even, saturating at 448, sign kept (-0 too).
// The 127 non-negative finite codes are ordered like their values, so this searches them.
inline std::uint8_t e4m3fn_code(float x) {
  static const std::vector<double> values = [] {
    std::vector<double> v(127);
    for (int c = 0; c < 127; ++c) v[c] = e4m3fn_value(static_cast<std::uint8_t>(c));
    return v;
  }();
  const std::uint8_t sign = std::signbit(x) ? 0x80 : 0;
  const double a = std::fabs(static_cast<double>(x));
  if (a >= values[126]) return sign | 126;
  const int lo = static_cast<int>(std::upper_bound(values.begin(), values.end(), a) - values.begin()) - 1;
  const double below = a - values[lo], above = values[lo + 1] - a;
  const int code = below < above ? lo : above < below ? lo + 1 : (lo % 2 == 0 ? lo : lo + 1);
  return static_cast<std::uint8_t>(sign | code);
}

// One 1x128 group of finite values: scale = max(amax, eps) / fp8_max (fp32),
// code = e4m3fn(x · (1 / scale)) with the reciprocal and the product in fp32.
struct quantized_group {
  float scale;
  std::uint8_t codes[128];
};
inline quantized_group quantize_group(const float* x, int n, float eps = 1e-10f, float fp8_max = 448.0f) {
  quantized_group q{};
  float amax = 0;
  for (int i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  q.scale = std::max(amax, eps) / fp8_max;
  const float inverse = 1.0f / q.scale;
  for (int i = 0; i < n; ++i) q.codes[i] = e4m3fn_code(x[i] * inverse);
  return q;
}

// Is `got` within one bf16 ulp of the exact value `ref`? NaN never is.
inline bool within_bf16_ulp(double got, double ref) {
  const double ulp = ref == 0 ? 1e-30 : std::ldexp(1.0, std::ilogb(ref) - 7);
  return std::fabs(got - ref) <= ulp;
}

// 1 / sqrt(mean(x²) + eps) in float64 over n bf16 values.
inline double rms_inverse(const hipfuse::bfloat16* x, int n, double eps) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += double(bf16_value(x[i])) * bf16_value(x[i]);
  return 1.0 / std::sqrt(ss / n + eps);
}

}  // namespace hipfuse_bench
