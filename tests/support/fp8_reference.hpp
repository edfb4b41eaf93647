// An fp8 reference independent of the library: decode with ldexp in double, encode by a binary
// search over the code magnitudes for the nearest value (ties to the even mantissa).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace hipfuse_test {

struct fp8_spec {
  int bias;
  bool fnuz;  // fnuz: NaN = 0x80 only, no -0, max = 0x7F; fn: NaN = S.1111.111, max = 0x7E
  std::uint8_t max_code() const { return fnuz ? 0x7F : 0x7E; }
  std::uint8_t nan_code() const { return fnuz ? 0x80 : 0x7F; }
  bool is_nan_code(std::uint8_t c) const { return fnuz ? c == 0x80 : (c & 0x7F) == 0x7F; }
  // Value of the 7-bit magnitude code m (exponent field and mantissa), m may exceed max_code.
  double magnitude(int m) const {
    const int e = m >> 3, f = m & 7;
    return e == 0 ? std::ldexp(static_cast<double>(f), 1 - bias - 3) : std::ldexp(8.0 + f, e - bias - 3);
  }
  double decode(std::uint8_t c) const {
    if (is_nan_code(c)) return std::numeric_limits<double>::quiet_NaN();
    const double m = magnitude(c & 0x7F);
    return (c & 0x80) ? -m : m;
  }
  // saturate: clamp to +-max; otherwise a result beyond max (one step past it, reached by
  // rounding) is NaN.
  std::uint8_t encode(float xf, bool saturate) const {
    const double x = xf;
    if (std::isnan(x)) return nan_code();
    const bool negative = std::signbit(x);
    double a = std::fabs(x);
    const double max = magnitude(max_code());
    if (saturate && a > max) a = max;
    if (!saturate && a >= magnitude(max_code() + 1)) return nan_code();  // inf too
    // Binary search over the (increasing) magnitudes for the neighbours lo <= a < lo + 1.
    int lo = 0, hi = max_code() + 1;  // max_code()+1: the first value past max
    if (a >= magnitude(hi)) {
      lo = hi;
    } else {
      while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        (magnitude(mid) <= a ? lo : hi) = mid;
      }
    }
    int best = lo;
    if (lo < max_code() + 1) {
      const double d_lo = a - magnitude(lo), d_hi = magnitude(lo + 1) - a;
      if (d_hi < d_lo || (d_hi == d_lo && ((lo + 1) & 1) == 0)) best = lo + 1;
    }
    if (best > max_code()) return nan_code();
    if (best == 0 && fnuz) return 0;
    return static_cast<std::uint8_t>((negative ? 0x80 : 0) | best);
  }
};

inline constexpr fp8_spec e4m3fn_spec{7, false};
inline constexpr fp8_spec e4m3fnuz_spec{8, true};

// n uniformly random codes of the format, NaN codes replaced by 0 (weights for GEMM tests).
template <class Rng>
std::vector<std::uint8_t> random_codes(const fp8_spec& spec, std::size_t n, Rng& rng) {
  std::uniform_int_distribution<int> code(0, 255);
  std::vector<std::uint8_t> codes(n);
  for (auto& c : codes) {
    c = static_cast<std::uint8_t>(code(rng));
    if (spec.is_nan_code(c)) c = 0;
  }
  return codes;
}

}  // namespace hipfuse_test
