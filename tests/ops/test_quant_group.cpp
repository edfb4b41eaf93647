// group_quant: fp8 codes and scales bit-exact against the float64 host reference for every scale
// layout, scale type, input type and group size, with strided rows, M = 1 and M not a multiple of
// 4, NaN / inf / zero / power-of-two-boundary groups; every byte outside the written elements keeps
// its poison (packed UE8M0 padding bytes become zero). Then every validation error: its status
// code, and nothing written.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <hipfuse/quant/group_quant_launch.hpp>
#include <string>
#include "quant_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;
using hipfuse_test::device_buffer;

namespace {

template <class Fp8>
const hipfuse_test::fp8_spec& spec_of() {
  return std::is_same_v<Fp8, float8_e4m3fnuz> ? hipfuse_test::e4m3fnuz_spec : hipfuse_test::e4m3fn_spec;
}

// The format arch_fp8 resolves to on this machine's device.
bool device_format_is_fnuz() {
  bool fnuz = false;
  REQUIRE(with_detected_arch([&](auto arch_tag) {
            fnuz = std::is_same_v<typename decltype(arch_tag)::fp8_type, float8_e4m3fnuz>;
            return status::success();
          }).ok());
  return fnuz;
}

template <class In>
double exact_value(In v) {
  if constexpr (std::is_same_v<In, float>) {
    return v;
  } else if constexpr (std::is_same_v<In, bfloat16>) {
    return hipfuse_test::decode_bf16(v.bits);
  } else {
    return hipfuse_test::decode_fp16(v.bits);
  }
}

// Byte offset of scale (m, g) in the scale buffer, from the layout definitions (independent of
// scale_layout.hpp).
template <class Layout>
std::size_t scale_byte(std::int64_t m, std::int64_t g, std::int64_t stride, std::size_t element) {
  if constexpr (std::is_same_v<Layout, scale_layout::row_major>) {
    return static_cast<std::size_t>(m * stride + g) * element;
  } else if constexpr (std::is_same_v<Layout, scale_layout::ue8m0_packed_column_major>) {
    return static_cast<std::size_t>((g / 4) * stride + m) * 4 + static_cast<std::size_t>(g % 4);
  } else {
    return static_cast<std::size_t>(g * stride + m) * element;
  }
}

template <class Layout>
std::int64_t layout_stride(std::int64_t rows, std::int64_t groups) {
  if constexpr (std::is_same_v<Layout, scale_layout::row_major>) return groups;
  if constexpr (std::is_same_v<Layout, scale_layout::column_major>) return rows;
  return (rows + 3) / 4 * 4;
}

template <class Layout>
std::int64_t layout_words(std::int64_t rows, std::int64_t groups, std::int64_t stride) {
  if constexpr (std::is_same_v<Layout, scale_layout::row_major>) return rows * stride;
  if constexpr (std::is_same_v<Layout, scale_layout::ue8m0_packed_column_major>) return (groups + 3) / 4 * stride;
  return groups * stride;
}

template <class T>
std::vector<std::uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<std::uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// Inputs group by group: ordinary values over a wide range of magnitudes, and (with specials) all
// zero, below-eps, exact power-of-two-scale and one-ulp-above groups, NaN and inf.
template <class In>
std::vector<In> make_input(int rows, int cols, std::int64_t stride, int group, float fp8_max, bool specials) {
  std::vector<In> x(static_cast<std::size_t>(rows - 1) * stride + cols, from_float<In>(0.0f));
  std::uniform_int_distribution<int> kind_dist(0, specials ? 11 : 0),
      exp_dist(std::is_same_v<In, float16> ? -6 : -14, std::is_same_v<In, float16> ? 6 : 14);
  std::uniform_int_distribution<int> pick(0, group - 1);
  for (int m = 0; m < rows; ++m) {
    for (int g = 0; g < cols / group; ++g) {
      In* p = x.data() + static_cast<std::size_t>(m) * stride + g * group;
      const int kind = kind_dist(hipfuse_test::rng());
      const float magnitude = std::ldexp(1.0f, exp_dist(hipfuse_test::rng()));
      const std::vector<float> r = hipfuse_test::random_floats(group);
      for (int i = 0; i < group; ++i) p[i] = from_float<In>(r[i] * magnitude);
      const int at = pick(hipfuse_test::rng());
      const float pow2_amax = fp8_max * std::ldexp(1.0f, exp_dist(hipfuse_test::rng()) / 2);
      switch (kind) {
        case 1:
          for (int i = 0; i < group; ++i) p[i] = from_float<In>(i % 2 ? -0.0f : 0.0f);
          break;
        case 2:
          for (int i = 0; i < group; ++i) p[i] = from_float<In>(r[i] * 1e-12f);
          break;
        case 3:
          p[at] = from_float<In>(r[at] < 0 ? -pow2_amax : pow2_amax);
          break;   // scale exactly 2^k
        case 4: {  // one unit in the last place above: UE8M0 rounds up to the next power
          In v = from_float<In>(pow2_amax);
          if constexpr (std::is_same_v<In, float>)
            v = std::nextafter(v, 2 * v);
          else
            v.bits = static_cast<std::uint16_t>(v.bits + 1);
          p[at] = v;
          break;
        }
        case 5:
          p[at] = from_float<In>(std::nanf(""));
          break;
        case 6:
          p[at] = from_float<In>(r[at] < 0 ? -INFINITY : INFINITY);
          break;
        case 7:
          p[at] = from_float<In>(-fp8_max);
          break;  // the maximum exactly
        default:
          break;
      }
    }
  }
  return x;
}

struct shape {
  int rows, cols;
  int input_pad = 0, output_pad = 0, scale_pad = 0;  // extra row / scale stride (row_major only)
  float fp8_max = 0.0f;
  bool specials = true;
};

template <class In, class Layout, class Scale, int G, class Fp8>
void check_group_quant(const shape& s) {
  using args_t = group_quant_args<In, Layout, Scale, G, Fp8>;
  using storage = typename args_t::storage_type;
  const bool fnuz = std::is_same_v<Fp8, arch_fp8> ? device_format_is_fnuz() : std::is_same_v<Fp8, float8_e4m3fnuz>;
  const hipfuse_test::fp8_spec& spec = fnuz ? hipfuse_test::e4m3fnuz_spec : hipfuse_test::e4m3fn_spec;
  const float fp8_max = s.fp8_max != 0.0f ? s.fp8_max : (fnuz ? 240.0f : 448.0f);
  const bool pow2 = std::is_same_v<Scale, ue8m0>;
  const int groups = s.cols / G;
  INFO("In " << sizeof(In) << "B, layout " << Layout::name << ", scale " << (pow2 ? "ue8m0" : "float") << ", G " << G
             << ", " << (fnuz ? "e4m3fnuz" : "e4m3fn") << ", rows " << s.rows << ", cols " << s.cols << ", fp8_max "
             << fp8_max);

  const std::int64_t in_stride = s.cols + s.input_pad, out_stride = s.cols + s.output_pad;
  const std::int64_t scale_stride = layout_stride<Layout>(s.rows, groups) + s.scale_pad;
  const std::vector<In> x = make_input<In>(s.rows, s.cols, in_stride, G, fp8_max, s.specials);
  const std::size_t out_bytes = static_cast<std::size_t>(s.rows) * out_stride + 64;  // + sentinel tail
  const std::size_t scale_elems = static_cast<std::size_t>(layout_words<Layout>(s.rows, groups, scale_stride)) + 16;

  device_buffer<In> d_x(x);
  device_buffer<fp8_output_t<Fp8>> d_q(out_bytes);
  device_buffer<storage> d_s(scale_elems);
  d_q.poison();
  d_s.poison();

  args_t a;
  a.input = d_x.get();
  a.output = d_q.get();
  a.scales = d_s.get();
  a.rows = s.rows;
  a.cols = s.cols;
  a.input_row_stride = in_stride;
  a.output_row_stride = out_stride;
  a.scale_stride = scale_stride;
  a.fp8_max = s.fp8_max;
  const status st = group_quant(a);
  INFO(st.message);
  REQUIRE(st.ok());

  std::vector<double> exact(static_cast<std::size_t>(s.rows) * s.cols);
  for (int m = 0; m < s.rows; ++m)
    for (int k = 0; k < s.cols; ++k)
      exact[static_cast<std::size_t>(m) * s.cols + k] = exact_value(x[static_cast<std::size_t>(m) * in_stride + k]);
  const auto ref = hipfuse_test::quantize_matrix_reference(exact, s.rows, s.cols, G, spec, fp8_max, a.eps, pow2);

  // Expected images of both buffers, poison wherever nothing may be written.
  std::vector<std::uint8_t> want_q(out_bytes * sizeof(fp8_output_t<Fp8>), 0xA5);
  for (int m = 0; m < s.rows; ++m)
    for (int k = 0; k < s.cols; ++k)
      want_q[static_cast<std::size_t>(m) * out_stride + k] = ref.codes[static_cast<std::size_t>(m) * s.cols + k];
  std::vector<std::uint8_t> want_s(scale_elems * sizeof(storage), 0xA5);
  for (int m = 0; m < s.rows; ++m) {
    for (int g = 0; g < groups; ++g) {
      const std::size_t at = scale_byte<Layout>(m, g, scale_stride, sizeof(storage));
      if (pow2) {
        if (std::is_same_v<Layout, scale_layout::ue8m0_packed_column_major> || sizeof(storage) == 1) {
          want_s[at] = ref.scales_e8m0[static_cast<std::size_t>(m) * groups + g];
        }
      } else {
        std::memcpy(&want_s[at], &ref.scales[static_cast<std::size_t>(m) * groups + g], 4);
      }
    }
    if constexpr (std::is_same_v<Layout, scale_layout::ue8m0_packed_column_major>)
      for (int g = groups; g % 4 != 0; ++g) want_s[scale_byte<Layout>(m, g, scale_stride, 4)] = 0;
  }

  const std::vector<std::uint8_t> got_q = bytes_of(d_q.download()), got_s = bytes_of(d_s.download());
  int bad = 0;
  for (std::size_t i = 0; i < want_q.size() && bad < 8; ++i) {
    if (got_q[i] != want_q[i]) {
      const std::size_t m = i / static_cast<std::size_t>(out_stride), k = i % static_cast<std::size_t>(out_stride);
      const bool inside = m < static_cast<std::size_t>(s.rows) && k < static_cast<std::size_t>(s.cols);
      FAIL_CHECK("output byte " << i << " (row " << m << ", col " << k << (inside ? "" : ", outside the tensor")
                                << "): got 0x" << std::hex << int(got_q[i]) << ", want 0x" << int(want_q[i]) << std::dec
                                << (inside ? " input " + std::to_string(exact[m * s.cols + k]) : std::string()));
      ++bad;
    }
  }
  for (std::size_t i = 0; i < want_s.size() && bad < 16; ++i) {
    if (got_s[i] != want_s[i]) {
      FAIL_CHECK("scale buffer byte " << i << ": got 0x" << std::hex << int(got_s[i]) << ", want 0x" << int(want_s[i]));
      ++bad;
    }
  }
  CHECK(bad == 0);
}

template <class In, class Layout, class Scale, int G, class Fp8>
void check_shapes(float fp8_max = 0.0f) {
  const int big_rows = hipfuse_test::gpu_sizes() ? 517 : 37;
  const int big_cols = hipfuse_test::gpu_sizes() ? 7168 : 7 * G;
  for (shape s : {shape{1, G}, shape{5, 5 * G, 8, 16, 3}, shape{4, 3 * G}, shape{big_rows, big_cols},
                  shape{big_rows, 3 * G, 16, 32, 1}}) {
    if (!std::is_same_v<Layout, scale_layout::row_major>) s.scale_pad = 0;
    if constexpr (sizeof(In) == 4) s.input_pad = s.input_pad / 2;  // keep rows 16-byte aligned
    s.fp8_max = fp8_max;
    check_group_quant<In, Layout, Scale, G, Fp8>(s);
  }
}

}  // namespace

using scale_layout::column_major;
using scale_layout::column_major_aligned4;
using scale_layout::row_major;
using scale_layout::ue8m0_packed_column_major;

TEST_CASE("group quant bf16, fp32 scales, every layout", "[quant]") {
  check_shapes<bfloat16, row_major, float, 128, float8_e4m3fn>();
  check_shapes<bfloat16, column_major, float, 128, float8_e4m3fnuz>();
  check_shapes<bfloat16, column_major_aligned4, float, 128, float8_e4m3fn>();
}

TEST_CASE("group quant UE8M0 scales: packed, unpacked row- and column-major", "[quant]") {
  check_shapes<bfloat16, ue8m0_packed_column_major, ue8m0, 128, float8_e4m3fn>();
  check_shapes<bfloat16, row_major, ue8m0, 128, float8_e4m3fnuz>();
  check_shapes<bfloat16, column_major_aligned4, ue8m0, 32, float8_e4m3fn>();
  check_shapes<float16, ue8m0_packed_column_major, ue8m0, 64, float8_e4m3fnuz>();
}

TEST_CASE("group quant fp16 and fp32 inputs, group sizes 32 and 64", "[quant]") {
  check_shapes<float16, row_major, float, 64, float8_e4m3fn>();
  check_shapes<float, column_major_aligned4, float, 128, float8_e4m3fn>();
  check_shapes<float, row_major, float, 32, float8_e4m3fnuz>();
}

TEST_CASE("group quant fp8_max 224 (sglang/vLLM on fnuz) and the arch's own format", "[quant]") {
  check_shapes<bfloat16, column_major, float, 128, float8_e4m3fnuz>(224.0f);
  check_shapes<bfloat16, row_major, float, 128, arch_fp8>();
}

TEST_CASE("group quant special groups: NaN spreads over its group, inf saturates, zero gives eps / fp8_max",
          "[quant]") {
  // Written out so the documented results are visible here, not only implied by the reference.
  std::vector<float> x(4 * 128, 0.5f);
  x[3] = std::nanf("");                         // group 0: NaN
  x[128 + 5] = -INFINITY;                       // group 1: -inf
  for (int i = 256; i < 384; ++i) x[i] = 0.0f;  // group 2: zeros
  x[384] = 448.0f;                              // group 3: amax = 448, scale exactly 1
  device_buffer<float> d_x(x);
  device_buffer<float8_e4m3fn> d_q(x.size());
  device_buffer<float> d_s(4);
  group_quant_args<float, row_major, float, 128, float8_e4m3fn> a;
  a.input = d_x.get();
  a.output = d_q.get();
  a.scales = d_s.get();
  a.rows = 1;
  a.cols = 512;
  a.input_row_stride = a.output_row_stride = 512;
  a.scale_stride = 4;
  REQUIRE(group_quant(a).ok());
  const auto q = d_q.download();
  const auto sc = d_s.download();
  CHECK(std::isnan(sc[0]));
  for (int i = 0; i < 128; ++i) CHECK(q[i].bits == 0x7F);
  CHECK(sc[1] == static_cast<float>(static_cast<double>(FLT_MAX) / 448.0));
  CHECK(q[128 + 5].bits == 0xFE);  // -448
  CHECK(q[128].bits == 0x00);      // 0.5 / (FLT_MAX / 448) underflows to +0
  CHECK(sc[2] == 1e-10f / 448.0f);
  for (int i = 256; i < 384; ++i) CHECK(q[i].bits == 0x00);
  CHECK(sc[3] == 1.0f);
  CHECK(q[384].bits == 0x7E);
  CHECK(q[385].bits == 0x30);  // 0.5 = 2^-1: exponent field 6, mantissa 0
}

TEST_CASE("group quant multiplies by the reciprocal of the scale (x * (1 / scale), not x / scale)", "[quant]") {
  // Values next to fp8 rounding ties, where the two formulas round to different codes: the codes
  // must be those of x * (1 / scale).
  const auto& spec = hipfuse_test::e4m3fn_spec;
  std::vector<float> x;
  std::vector<float> amaxes;
  std::size_t sensitive = 0;
  for (float amax = 1.1f; amaxes.size() < 16; amax *= 1.37f) {
    const float scale = static_cast<float>(static_cast<double>(amax) / 448.0);
    const float inverse = static_cast<float>(1.0 / static_cast<double>(scale));
    std::vector<float> group{amax};
    for (int c = 0x08; c < 0x7E && group.size() < 128; ++c) {
      const double tie =
          (spec.decode(static_cast<std::uint8_t>(c)) + spec.decode(static_cast<std::uint8_t>(c + 1))) / 2;
      float v = static_cast<float>(tie * scale);
      for (int step = 0; step < 8; ++step, v = std::nextafter(v, 0.0f)) {
        const float by_inverse = static_cast<float>(static_cast<double>(v) * inverse);
        const float by_division = static_cast<float>(static_cast<double>(v) / scale);
        if (spec.encode(by_inverse, true) != spec.encode(by_division, true) && group.size() < 128) group.push_back(v);
      }
    }
    sensitive += group.size() - 1;
    group.resize(128, 0.0f);
    amaxes.push_back(amax);
    x.insert(x.end(), group.begin(), group.end());
  }
  INFO(sensitive << " values where the formulas differ");
  REQUIRE(sensitive >= 16);
  const int groups = static_cast<int>(amaxes.size());
  device_buffer<float> d_x(x);
  device_buffer<float8_e4m3fn> d_q(x.size());
  device_buffer<float> d_s(static_cast<std::size_t>(groups));
  group_quant_args<float, row_major, float, 128, float8_e4m3fn> a;
  a.input = d_x.get();
  a.output = d_q.get();
  a.scales = d_s.get();
  a.rows = groups;
  a.cols = 128;
  a.input_row_stride = a.output_row_stride = 128;
  a.scale_stride = 1;
  REQUIRE(group_quant(a).ok());
  const auto q = d_q.download();
  std::vector<double> exact(x.begin(), x.end());
  const auto ref = hipfuse_test::quantize_matrix_reference(exact, groups, 128, 128, spec, 448.0f, 1e-10f, false);
  int bad = 0;
  for (std::size_t i = 0; i < x.size(); ++i) bad += q[i].bits != ref.codes[i];
  CHECK(bad == 0);
}

// ---- validation ------------------------------------------------------------------------------

namespace {

template <class Layout>
struct validation_fixture {
  using args_t = group_quant_args<bfloat16, Layout, float, 128, float8_e4m3fn>;
  static constexpr int rows = 6, cols = 512;
  device_buffer<bfloat16> x{static_cast<std::size_t>(rows * cols + 64)};
  device_buffer<float8_e4m3fn> q{static_cast<std::size_t>(rows * cols + 64)};
  device_buffer<float> s{static_cast<std::size_t>(8 * 4 + 16)};
  args_t a;

  validation_fixture() {
    x.upload(std::vector<bfloat16>(x.size(), from_float<bfloat16>(1.0f)));
    q.poison();
    s.poison();
    a.input = x.get();
    a.output = q.get();
    a.scales = s.get();
    a.rows = rows;
    a.cols = cols;
    a.input_row_stride = a.output_row_stride = cols;
    a.scale_stride = layout_stride<Layout>(rows, cols / 128);
  }

  void expect(status_code code, const char* what) {
    INFO(what);
    const status st = group_quant(a);
    INFO("message: " << st.message);
    CHECK(st.code == code);
    CHECK_FALSE(st.message.empty());
    CHECK(can_implement(a).code == code);
    for (const auto& v : q.download()) REQUIRE(v.bits == 0xA5);
    for (const float v : s.download()) REQUIRE(std::memcmp(&v, "\xA5\xA5\xA5\xA5", 4) == 0);
  }
};

}  // namespace

TEST_CASE("group quant rejects bad arguments and writes nothing", "[quant]") {
  {
    validation_fixture<row_major> f;
    REQUIRE(can_implement(f.a).ok());
    f.a.cols = 500;
    f.a.input_row_stride = f.a.output_row_stride = 512;
    f.expect(status_code::invalid_shape, "cols not a multiple of 128");
  }
  {
    validation_fixture<row_major> f;
    f.a.rows = -1;
    f.expect(status_code::invalid_shape, "negative rows");
  }
  {
    validation_fixture<row_major> f;
    f.a.input = nullptr;
    f.expect(status_code::null_pointer, "null input");
  }
  {
    validation_fixture<row_major> f;
    f.a.output = nullptr;
    f.expect(status_code::null_pointer, "null output");
  }
  {
    validation_fixture<row_major> f;
    f.a.scales = nullptr;
    f.expect(status_code::null_pointer, "null scales");
  }
  {
    validation_fixture<row_major> f;
    f.a.input = f.x.get() + 1;
    f.expect(status_code::misaligned, "input 2 bytes off");
  }
  {
    validation_fixture<row_major> f;
    f.a.input_row_stride = 516;
    f.expect(status_code::misaligned, "input row stride not a multiple of 16 bytes");
  }
  {
    validation_fixture<row_major> f;
    f.a.output = f.q.get() + 8;
    f.expect(status_code::misaligned, "output 8 bytes off");
  }
  {
    validation_fixture<row_major> f;
    f.a.scales = reinterpret_cast<float*>(reinterpret_cast<char*>(f.s.get()) + 2);
    f.expect(status_code::misaligned, "scales 2 bytes off");
  }
  {
    validation_fixture<row_major> f;
    f.a.input_row_stride = 256;
    f.expect(status_code::invalid_stride, "input row stride below cols");
  }
  {
    validation_fixture<row_major> f;
    f.a.output_row_stride = 496;
    f.expect(status_code::invalid_stride, "output row stride below cols");
  }
  {
    validation_fixture<row_major> f;
    f.a.scale_stride = 3;
    f.expect(status_code::invalid_stride, "row-major scale stride below the groups");
  }
  {
    validation_fixture<column_major> f;
    f.a.scale_stride = 8;
    f.expect(status_code::invalid_stride, "column-major scale stride not M");
  }
  {
    validation_fixture<column_major_aligned4> f;
    f.a.scale_stride = 6;
    f.expect(status_code::invalid_stride, "aligned4 scale stride M instead of align(M, 4)");
  }
  {
    validation_fixture<row_major> f;
    f.a.fp8_max = 449.0f;
    f.expect(status_code::invalid_value, "fp8_max above e4m3fn's 448");
  }
  {
    validation_fixture<row_major> f;
    f.a.fp8_max = std::nanf("");
    f.expect(status_code::invalid_value, "fp8_max NaN");
  }
  for (const float eps : {0.0f, -1e-10f, std::nanf(""), 1e-40f, INFINITY}) {
    validation_fixture<row_major> f;
    f.a.eps = eps;
    f.expect(status_code::invalid_value, "eps out of range");
  }
  {
    validation_fixture<row_major> f;
    f.a.output = reinterpret_cast<float8_e4m3fn*>(f.x.get() + 1024);
    f.q.poison();
    f.expect(status_code::overlap, "output inside the input");
  }
  {
    validation_fixture<row_major> f;
    f.a.scales = reinterpret_cast<float*>(f.q.get() + 64);
    f.expect(status_code::overlap, "scales inside the output");
  }
  if constexpr (hipfuse_test::on_gpu) {
    validation_fixture<row_major> f;
    std::vector<bfloat16> host(f.rows * f.cols);
    f.a.input = host.data();
    f.expect(status_code::not_device_memory, "host input on a GPU");
  }
}

TEST_CASE("group quant with no rows or no columns writes nothing and succeeds", "[quant]") {
  validation_fixture<column_major_aligned4> f;
  f.a.rows = 0;
  f.a.scale_stride = 0;
  CHECK(group_quant(f.a).ok());
  validation_fixture<row_major> g;
  g.a.cols = 0;
  g.a.scale_stride = 0;
  CHECK(group_quant(g.a).ok());
  for (const auto& v : g.q.download()) REQUIRE(v.bits == 0xA5);
}

TEST_CASE("fnuz fp8_max above 240 is rejected when the format is fnuz", "[quant]") {
  group_quant_args<bfloat16, row_major, float, 128, float8_e4m3fnuz> a;
  a.fp8_max = 241.0f;
  CHECK(can_implement(a).code == status_code::invalid_value);
  a.fp8_max = 224.0f;
  CHECK(can_implement(a).ok());  // rows = 0: nothing else to check
}
