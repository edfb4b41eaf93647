// FP8 emulation (the definition every device path must match) against the independent reference.
#include <cmath>
#include <cstring>
#include <limits>
#include <hipfuse/numeric/fp8.hpp>
#include <hipfuse/numeric/half_types.hpp>
#include <hipfuse/numeric/ue8m0.hpp>
#include "fp8_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;
using hipfuse_test::fp8_spec;

namespace {

float next_up(float x) { return std::nextafter(x, std::numeric_limits<float>::infinity()); }
float next_down(float x) { return std::nextafter(x, -std::numeric_limits<float>::infinity()); }

template <class Fp8>
void check_encode(const fp8_spec& spec, float x) {
  const auto sat = float_to_fp8<Fp8, fp8_overflow::saturate>(x).bits;
  const auto nonsat = float_to_fp8<Fp8, fp8_overflow::to_nan>(x).bits;
  if (sat != spec.encode(x, true) || nonsat != spec.encode(x, false)) {
    FAIL_CHECK(Fp8::name << " x=" << x << " (bits 0x" << std::hex << float_bits(x) << ") saturate: got 0x" << int(sat)
                         << " want 0x" << int(spec.encode(x, true)) << "; to_nan: got 0x" << int(nonsat) << " want 0x"
                         << int(spec.encode(x, false)));
  }
}

template <class Fp8>
void exhaustive_suite(const fp8_spec& spec) {
  SECTION("all 256 codes decode exactly") {
    for (int c = 0; c < 256; ++c) {
      const double want = spec.decode(static_cast<std::uint8_t>(c));
      const float got = fp8_to_float(Fp8{static_cast<std::uint8_t>(c)});
      if (std::isnan(want)) {
        CHECK(std::isnan(got));
      } else {
        CHECK(static_cast<double>(got) == want);
        CHECK(std::signbit(got) == ((c & 0x80) != 0));
      }
    }
  }
  SECTION("every representable value, every midpoint and one float ulp either side") {
    for (int m = 0; m <= spec.max_code(); ++m) {
      for (float sign : {1.0f, -1.0f}) {
        const float v = sign * static_cast<float>(spec.magnitude(m));
        const float mid = sign * static_cast<float>((spec.magnitude(m) + spec.magnitude(m + 1)) / 2);
        for (float x : {v, next_up(v), next_down(v), mid, next_up(mid), next_down(mid)}) check_encode<Fp8>(spec, x);
      }
    }
  }
  SECTION("overflow boundaries, zeros, subnormals, inf, NaN") {
    const float max = Fp8::max_finite;
    const float half_step = static_cast<float>((spec.magnitude(spec.max_code() + 1) - max) / 2);
    for (float x : {max, max + half_step, next_down(max + half_step), next_up(max + half_step),
                    max + 2 * half_step, 448.0f, 464.0f, 480.0f, 240.0f, 248.0f, 256.0f, 1e30f, 3.0e38f}) {
      check_encode<Fp8>(spec, x);
      check_encode<Fp8>(spec, -x);
    }
    check_encode<Fp8>(spec, 0.0f);
    check_encode<Fp8>(spec, -0.0f);
    CHECK(float_to_fp8<Fp8>(-0.0f).bits == (Fp8::has_negative_zero ? 0x80 : 0x00));
    const float inf = std::numeric_limits<float>::infinity();
    CHECK(float_to_fp8<Fp8>(inf).bits == Fp8::max_code);
    CHECK(float_to_fp8<Fp8>(-inf).bits == (0x80 | Fp8::max_code));
    CHECK(float_to_fp8<Fp8, fp8_overflow::to_nan>(inf).bits == Fp8::nan_code);
    CHECK(float_to_fp8<Fp8>(std::numeric_limits<float>::quiet_NaN()).bits == Fp8::nan_code);
    CHECK(float_to_fp8<Fp8>(-std::numeric_limits<float>::quiet_NaN()).bits == Fp8::nan_code);
    for (float x : {1e-45f, 1e-38f, 1e-10f, 1e-4f, 0.001f, 0.002f, 0.00390625f, 0.0048828125f}) {
      check_encode<Fp8>(spec, x);
      check_encode<Fp8>(spec, -x);
    }
  }
  SECTION("10^6 random floats over all magnitudes") {
    std::uniform_int_distribution<std::uint32_t> bits;
    for (int i = 0; i < 1000000; ++i) {
      // Random bit patterns cover every exponent; half of them are squeezed into the fp8 range.
      std::uint32_t u = bits(hipfuse_test::rng());
      if (i & 1) u = (u & 0x807FFFFFu) | ((110u + (u >> 23) % 24u) << 23);
      check_encode<Fp8>(spec, float_from_bits(u));
    }
  }
}

}  // namespace

TEST_CASE("e4m3fn encode/decode match the independent reference", "[fp8]") {
  exhaustive_suite<float8_e4m3fn>(hipfuse_test::e4m3fn_spec);
}

TEST_CASE("e4m3fnuz encode/decode match the independent reference", "[fp8]") {
  exhaustive_suite<float8_e4m3fnuz>(hipfuse_test::e4m3fnuz_spec);
}

TEST_CASE("documented boundary values", "[fp8]") {
  // DESIGN: e4m3fn 464 -> 448 by ties-to-even, above 464 -> NaN in the non-saturating mode.
  CHECK(float_to_fp8<float8_e4m3fn, fp8_overflow::to_nan>(464.0f).bits == 0x7E);
  CHECK(float_to_fp8<float8_e4m3fn, fp8_overflow::to_nan>(std::nextafter(464.0f, 1000.0f)).bits == 0x7F);
  CHECK(float_to_fp8<float8_e4m3fnuz, fp8_overflow::to_nan>(248.0f).bits == 0x80);
  CHECK(float_to_fp8<float8_e4m3fnuz>(248.0f).bits == 0x7F);
  CHECK(fp8_to_float(float8_e4m3fn{0x7E}) == 448.0f);
  CHECK(fp8_to_float(float8_e4m3fnuz{0x7F}) == 240.0f);
  CHECK(fp8_to_float(float8_e4m3fn{0x01}) == std::ldexp(1.0f, -9));
  CHECK(fp8_to_float(float8_e4m3fnuz{0x01}) == std::ldexp(1.0f, -10));
}

TEST_CASE("bf16 and fp16 conversions round to nearest even", "[fp8][half]") {
  std::uniform_int_distribution<std::uint32_t> bits;
  for (int i = 0; i < 200000; ++i) {
    const float x = float_from_bits(bits(hipfuse_test::rng()));
    if (std::isnan(x)) {
      CHECK(std::isnan(to_float(to_bfloat16(x))));
      CHECK(std::isnan(to_float(to_float16(x))));
      continue;
    }
    // bf16: the two bf16 neighbours of x bracket it; the nearer one (ties: even) must be chosen.
    const double dx = x;
    const float bf = to_float(to_bfloat16(x));
    const std::uint32_t lo_bits = float_bits(x) & 0xFFFF0000u;
    const double lo = float_from_bits(lo_bits), hi = float_from_bits(lo_bits + 0x10000u);
    const double want_bf = std::fabs(dx - lo) < std::fabs(hi - dx)   ? lo
                           : std::fabs(dx - lo) > std::fabs(hi - dx) ? hi
                           : ((lo_bits >> 16) & 1u)                  ? hi
                                                                     : lo;
    CHECK(static_cast<double>(bf) == want_bf);
    // fp16 against double rounding through ldexp: finite results only.
    if (std::fabs(dx) < 65504.0) {
      const int e = std::max(std::ilogb(dx), -14);
      const double q = std::ldexp(1.0, e - 10);
      const double want = std::nearbyint(dx / q) * q;  // default rounding: to nearest even
      CHECK(static_cast<double>(to_float(to_float16(x))) == want);
    }
  }
  CHECK(to_float(to_float16(65520.0f)) == std::numeric_limits<float>::infinity());
  CHECK(to_float(to_float16(65519.0f)) == 65504.0f);
}

TEST_CASE("UE8M0 rounds scales up to a power of two", "[fp8][ue8m0]") {
  for (int e = -126; e <= 127; ++e) {
    const float p = std::ldexp(1.0f, e);
    CHECK(to_float(ue8m0_round_up(p)) == (e == -126 ? p : p));            // powers of two are kept
    if (e < 127) CHECK(to_float(ue8m0_round_up(std::nextafter(p, 1e38f))) == 2 * p);  // anything above: next
  }
  CHECK(ue8m0_round_up(0.0f).bits == 1);       // clamped to the smallest normal
  CHECK(ue8m0_round_up(1e-40f).bits == 1);     // float subnormal
  CHECK(ue8m0_round_up(3.0e38f).bits == 254);  // clamped below inf
  CHECK(ue8m0_round_up(std::numeric_limits<float>::quiet_NaN()).bits == 0xFF);
  CHECK(std::isnan(to_float(ue8m0{0xFF})));
}
