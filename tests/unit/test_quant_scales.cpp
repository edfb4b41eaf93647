// Scale layouts and the scale arithmetic on their own: offsets and strides of every layout, layouts
// as distinct types, UE8M0 rounding at and next to powers of two, and the NaN / inf / zero rules.
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <hipfuse/quant/group_quant.hpp>
#include <type_traits>
#include <vector>

using namespace hipfuse;

TEST_CASE("scale layouts: offsets and strides", "[quant]") {
  using namespace scale_layout;
  CHECK(row_major::natural_stride(5, 7) == 7);
  CHECK(column_major::natural_stride(5, 7) == 5);
  CHECK(column_major_aligned4::natural_stride(5, 7) == 8);
  CHECK(column_major_aligned4::natural_stride(1, 7) == 4);
  CHECK(column_major_aligned4::natural_stride(8, 7) == 8);
  CHECK(ue8m0_packed_column_major::natural_stride(5, 7) == 8);
  CHECK(row_major::offset(2, 3, 7) == 17);
  CHECK(column_major::offset(2, 3, 5) == 17);
  CHECK(column_major_aligned4::offset(2, 3, 8) == 26);
  CHECK(ue8m0_packed_column_major::offset(2, 5, 8) == 10);  // word (5 / 4) * 8 + 2, byte 1
  CHECK(row_major::extent(5, 7, 9) == 43);
  CHECK(column_major_aligned4::extent(5, 7, 8) == 53);
  CHECK(ue8m0_packed_column_major::extent(5, 7, 8) == 13);
  CHECK(row_major::extent(0, 7, 7) == 0);
}

TEST_CASE("a scale view's layout is part of its type", "[quant]") {
  using namespace scale_layout;
  static_assert(!std::is_convertible_v<scale_view<column_major>, scale_view<column_major_aligned4>>);
  static_assert(!std::is_convertible_v<scale_view<row_major>, scale_view<column_major>>);
  static_assert(!std::is_convertible_v<scale_view<row_major, float>, scale_view<row_major, ue8m0>>);
  static_assert(std::is_same_v<scale_view<ue8m0_packed_column_major, ue8m0>::storage_type, std::int32_t>);
  static_assert(std::is_same_v<scale_view<row_major, ue8m0>::storage_type, ue8m0>);
  SUCCEED();
}

TEST_CASE("packed UE8M0 view writes bytes g % 4 and zero padding", "[quant]") {
  std::vector<std::int32_t> words(16, -1);
  const scale_view<scale_layout::ue8m0_packed_column_major, ue8m0> v{words.data(), 4};
  v.store(1, 4, ue8m0{0x81});
  v.store_padding(1, 5);  // 5 groups: bytes 1..3 of the second word are padding
  std::uint8_t bytes[4];
  std::memcpy(bytes, &words[4 + 1], 4);
  CHECK(bytes[0] == 0x81);
  CHECK(bytes[1] == 0);
  CHECK(bytes[2] == 0);
  CHECK(bytes[3] == 0);
  CHECK(v.load(1, 4) == 4.0f);
  CHECK(words[4] == -1);  // row 0 untouched
}

TEST_CASE("group scale: fp32 and UE8M0 at and next to powers of two", "[quant]") {
  const auto bits = [](float x) { return magnitude_bits(x); };
  // amax / 448 exactly 2^-3: UE8M0 keeps it.
  auto s = make_group_scale<ue8m0>(bits(56.0f), 448.0f, 1e-10f);
  CHECK(s.value.bits == 127 - 3);
  CHECK(s.inverse == 8.0f);
  // One ulp above: the next power.
  s = make_group_scale<ue8m0>(bits(std::nextafter(56.0f, 100.0f)), 448.0f, 1e-10f);
  CHECK(s.value.bits == 127 - 2);
  CHECK(s.inverse == 4.0f);
  // One ulp below: still 2^-3.
  s = make_group_scale<ue8m0>(bits(std::nextafter(56.0f, 0.0f)), 448.0f, 1e-10f);
  CHECK(s.value.bits == 127 - 3);
  auto f = make_group_scale<float>(bits(56.0f), 448.0f, 1e-10f);
  CHECK(f.value == 0.125f);
  CHECK(f.inverse == 8.0f);
  f = make_group_scale<float>(bits(1.0f), 224.0f, 1e-10f);
  CHECK(f.value == static_cast<float>(1.0 / 224.0));
  CHECK(f.inverse == static_cast<float>(1.0 / static_cast<double>(f.value)));
}

TEST_CASE("group scale: NaN, inf and all-zero groups", "[quant]") {
  auto f = make_group_scale<float>(magnitude_bits(std::nanf("")), 448.0f, 1e-10f);
  CHECK(std::isnan(f.value));
  CHECK(std::isnan(f.inverse));
  auto u = make_group_scale<ue8m0>(magnitude_bits(-std::nanf("")), 448.0f, 1e-10f);
  CHECK(u.value.bits == 0xFF);
  CHECK(std::isnan(u.inverse));
  f = make_group_scale<float>(magnitude_bits(-INFINITY), 448.0f, 1e-10f);
  CHECK(f.value == static_cast<float>(static_cast<double>(FLT_MAX) / 448.0));
  CHECK(std::isfinite(f.inverse));
  u = make_group_scale<ue8m0>(magnitude_bits(INFINITY), 448.0f, 1e-10f);
  CHECK(u.value.bits == 127 + 120);  // FLT_MAX / 448 < 2^120
  f = make_group_scale<float>(0u, 448.0f, 1e-10f);
  CHECK(f.value == 1e-10f / 448.0f);
  u = make_group_scale<ue8m0>(0u, 448.0f, 1e-10f);
  CHECK(to_float(u.value) >= 1e-10f / 448.0f);
  CHECK(to_float(u.value) < 2 * (1e-10f / 448.0f));
}

TEST_CASE("group_quantizer on the host: one lane holds the whole group", "[quant]") {
  using P = policy<arch::host>;
  float x[128];
  for (int i = 0; i < 128; ++i) x[i] = (i - 64) / 8.0f;  // amax 8 at i = 0
  std::uint32_t codes[32];
  const auto s = group_quantizer<P, 1>{}(x, codes);
  CHECK(s.value == 8.0f / 448.0f);
  CHECK((codes[0] & 0xFFu) == 0xFEu);          // -448
  CHECK(((codes[16] >> 0) & 0xFFu) == 0x00u);  // x[64] = 0
}
