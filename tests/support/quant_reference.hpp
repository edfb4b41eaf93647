// Host reference for per-group FP8 quantization (and RMSNorm before it), written from the
// numerics in docs/quantization.md without the library's code: float64 loops, ldexp/frexp for the
// powers of two, the search encoder of fp8_reference.hpp for the codes. Each float operation of the
// definition (scale = max(amax, eps) / fp8_max, inverse = 1 / scale, q = x * inverse) is done in
// double and rounded once to float: for a single +, *, / or sqrt of floats that equals the
// correctly rounded float result, so the reference matches fp32 hardware bit for bit.
#pragma once
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>
#include "fp8_reference.hpp"

namespace hipfuse_test {

// Values of 16-bit inputs, decoded from their bits.
inline double decode_bf16(std::uint16_t bits) {
  const std::uint32_t u = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline double decode_fp16(std::uint16_t bits) {
  const int sign = bits >> 15, exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF;
  double v;
  if (exponent == 0x1F)
    v = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else if (exponent == 0)
    v = std::ldexp(mantissa, -24);
  else
    v = std::ldexp(1024 + mantissa, exponent - 25);
  return sign ? -v : v;
}

inline float round_to_float(double x) { return static_cast<float>(x); }

struct quant_group_reference {
  float scale = 0;              // the scale as a float (the power of two for UE8M0)
  std::uint8_t scale_e8m0 = 0;  // UE8M0 code of the scale (pow2 scales only)
  std::vector<std::uint8_t> codes;
};

// One group: x holds the exact input values. pow2: UE8M0 scale rounding.
inline quant_group_reference quantize_group_reference(const std::vector<double>& x, const fp8_spec& spec, float fp8_max,
                                                      float eps, bool pow2) {
  quant_group_reference r;
  r.codes.resize(x.size());
  bool nan = false;
  double amax = 0;
  for (double v : x) {
    if (std::isnan(v))
      nan = true;
    else
      amax = std::fmax(amax, std::fmin(std::fabs(v), static_cast<double>(FLT_MAX)));  // inf counts as FLT_MAX
  }
  if (nan) {
    r.scale = std::numeric_limits<float>::quiet_NaN();
    r.scale_e8m0 = 0xFF;
    for (auto& c : r.codes) c = spec.nan_code();
    return r;
  }
  float scale = round_to_float(std::fmax(amax, static_cast<double>(eps)) / static_cast<double>(fp8_max));
  if (pow2) {
    int k = 0;
    const double f = std::frexp(static_cast<double>(scale), &k);  // scale = f * 2^k, f in [0.5, 1)
    int e = f == 0.5 ? k - 1 : k;                                 // smallest 2^e >= scale
    e = e < -126 ? -126 : (e > 127 ? 127 : e);
    scale = round_to_float(std::ldexp(1.0, e));
    r.scale_e8m0 = static_cast<std::uint8_t>(e + 127);
  }
  r.scale = scale;
  const float inverse = round_to_float(1.0 / static_cast<double>(scale));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float q = round_to_float(x[i] * static_cast<double>(inverse));
    r.codes[i] = spec.encode(q, true);
  }
  return r;
}

// A whole [rows, cols] matrix (row-major, exact values); scales are [rows][cols / group].
struct quant_matrix_reference {
  std::vector<std::uint8_t> codes;        // rows * cols
  std::vector<float> scales;              // rows * groups
  std::vector<std::uint8_t> scales_e8m0;  // rows * groups
};

inline quant_matrix_reference quantize_matrix_reference(const std::vector<double>& x, int rows, int cols, int group,
                                                        const fp8_spec& spec, float fp8_max, float eps, bool pow2) {
  const int groups = cols / group;
  quant_matrix_reference r;
  r.codes.resize(static_cast<std::size_t>(rows) * cols);
  r.scales.resize(static_cast<std::size_t>(rows) * groups);
  r.scales_e8m0.resize(r.scales.size());
  std::vector<double> g(group);
  for (int m = 0; m < rows; ++m) {
    for (int j = 0; j < groups; ++j) {
      for (int i = 0; i < group; ++i) g[i] = x[static_cast<std::size_t>(m) * cols + j * group + i];
      const quant_group_reference q = quantize_group_reference(g, spec, fp8_max, eps, pow2);
      for (int i = 0; i < group; ++i) r.codes[static_cast<std::size_t>(m) * cols + j * group + i] = q.codes[i];
      r.scales[static_cast<std::size_t>(m) * groups + j] = q.scale;
      r.scales_e8m0[static_cast<std::size_t>(m) * groups + j] = q.scale_e8m0;
    }
  }
  return r;
}

// RMSNorm of one row in the order the fused op defines (docs/quantization.md): x (+ residual) in
// fp32, sum of squares accumulated in double, rms inverse = 1 / sqrt(mean + eps), y = x * inv * w.
// Returns the float values that are quantized; exactness is not claimed for this part (the sum's
// order differs), so tests compare through a tolerance or use sums that are exact.
inline std::vector<double> rmsnorm_row_reference(const std::vector<double>& x, const std::vector<double>& w,
                                                 double eps) {
  double sum = 0;
  for (double v : x) sum += v * v;
  const double inv = 1.0 / std::sqrt(sum / static_cast<double>(x.size()) + eps);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w[i];
  return y;
}

}  // namespace hipfuse_test
