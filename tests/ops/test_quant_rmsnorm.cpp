// Fused RMSNorm -> FP8: the normalized rows within 1 bf16 ulp of the float64 RMSNorm, and codes and
// scales bit-exact against the quantization reference applied to those rows (the op is defined as
// rmsnorm then group_quant); the MLA shape (q quantized, k_nope normalized in place, both strided
// views of one projection) and hidden states with a residual; validation errors write nothing.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <hipfuse/quant/rmsnorm_quant_launch.hpp>
#include "quant_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;
using hipfuse_test::device_buffer;
using hipfuse_test::random_values;

namespace {

double bf16_value(bfloat16 v) { return hipfuse_test::decode_bf16(v.bits); }

bool within_one_ulp(double got, double want) {
  if (std::isnan(got) || std::isnan(want)) return false;
  int e = 0;
  std::frexp(want == 0 ? 1e-30 : want, &e);
  return std::fabs(got - want) <= std::ldexp(1.0, e - 8) * 1.0001;  // bf16: 8 significant bits
}

template <class Layout, class Scale>
void check_fused(int tokens, int q_cols, int k_cols, bool residual) {
  INFO("tokens " << tokens << ", q " << q_cols << ", k " << k_cols << ", residual " << residual << ", layout "
                 << Layout::name);
  const int stride = q_cols + k_cols + 64;  // q | k_nope | rope, as one projection output
  const int groups = q_cols / 128;
  const bool pow2 = std::is_same_v<Scale, ue8m0>;
  using args_t = rmsnorm_quant_args<bfloat16, Layout, Scale, 128, float8_e4m3fn>;
  using storage = typename args_t::storage_type;

  std::vector<bfloat16> proj = random_values<bfloat16>(static_cast<std::size_t>(tokens) * stride, -3.0f, 3.0f);
  const std::vector<bfloat16> wq = random_values<bfloat16>(q_cols, 0.5f, 1.5f);
  const std::vector<bfloat16> wk = random_values<bfloat16>(k_cols, 0.5f, 1.5f);
  const std::vector<bfloat16> res = random_values<bfloat16>(static_cast<std::size_t>(tokens) * q_cols, -1.0f, 1.0f);
  device_buffer<bfloat16> d_proj(proj), d_wq(wq), d_wk(wk), d_res(res);
  device_buffer<bfloat16> d_y(static_cast<std::size_t>(tokens) * q_cols);
  device_buffer<float8_e4m3fn> d_q(static_cast<std::size_t>(tokens) * q_cols + 64), d_q2(d_q.size());
  const std::int64_t scale_stride = Layout::natural_stride(tokens, groups);
  const std::size_t scale_words = static_cast<std::size_t>(Layout::extent(tokens, groups, scale_stride)) + 8;
  device_buffer<storage> d_s(scale_words), d_s2(scale_words);
  d_y.poison();
  d_q.poison();
  d_q2.poison();
  d_s.poison();
  d_s2.poison();

  args_t a;
  a.input = d_proj.get();
  a.input_stride = stride;
  a.weight = d_wq.get();
  a.output = d_y.get();
  a.output_stride = q_cols;
  a.codes = d_q.get();
  a.code_stride = q_cols;
  a.scales = d_s.get();
  a.scale_stride = scale_stride;
  a.rows = tokens;
  a.cols = q_cols;
  if (residual) {
    a.residual = d_res.get();
    a.residual_stride = q_cols;
  }
  if (k_cols > 0) {
    a.second.input = d_proj.get() + q_cols;
    a.second.output = d_proj.get() + q_cols;  // in place
    a.second.input_stride = a.second.output_stride = stride;
    a.second.weight = d_wk.get();
    a.second.rows = tokens;
    a.second.cols = k_cols;
  }
  const status st = rmsnorm_quant(a);
  INFO(st.message);
  REQUIRE(st.ok());

  // The same launch without the unquantized copy gives the same codes and scales. It keeps the
  // second tensor (now normalized out of place into scratch) so that the launcher picks the same
  // shape: another shape sums the squares in another order, and y may then round 1 ulp apart.
  if (residual) d_res.upload(res);
  device_buffer<bfloat16> d_k_scratch(static_cast<std::size_t>(tokens) * (k_cols > 0 ? k_cols : 1));
  args_t b = a;
  b.output = nullptr;
  b.codes = d_q2.get();
  b.scales = d_s2.get();
  if (k_cols > 0) {
    b.second.output = d_k_scratch.get();
    b.second.output_stride = k_cols;
  }
  REQUIRE(rmsnorm_quant(b).ok());

  const std::vector<bfloat16> y = d_y.download(), proj_after = d_proj.download(), res_after = d_res.download();
  const std::vector<float8_e4m3fn> q = d_q.download(), q2 = d_q2.download();
  const std::vector<storage> sc = d_s.download(), sc2 = d_s2.download();

  int bad = 0;
  std::vector<double> y_exact(static_cast<std::size_t>(tokens) * q_cols);
  for (int t = 0; t < tokens; ++t) {
    std::vector<double> x(q_cols), w(q_cols);
    for (int i = 0; i < q_cols; ++i) {
      x[i] = bf16_value(proj[static_cast<std::size_t>(t) * stride + i]);
      if (residual) {
        // x + residual in fp32 feeds the norm; the residual keeps it rounded to bf16.
        x[i] = static_cast<float>(x[i] + bf16_value(res[static_cast<std::size_t>(t) * q_cols + i]));
        if (bf16_value(res_after[static_cast<std::size_t>(t) * q_cols + i]) !=
                bf16_value(from_float<bfloat16>(static_cast<float>(x[i]))) &&
            bad++ < 5)
          FAIL_CHECK("residual " << t << "," << i);
      }
      w[i] = bf16_value(wq[i]);
    }
    const std::vector<double> ref = hipfuse_test::rmsnorm_row_reference(x, w, 1e-6);
    for (int i = 0; i < q_cols; ++i) {
      const double got = bf16_value(y[static_cast<std::size_t>(t) * q_cols + i]);
      y_exact[static_cast<std::size_t>(t) * q_cols + i] = got;
      if (!within_one_ulp(got, ref[i]) && bad++ < 5)
        FAIL_CHECK("y[" << t << "," << i << "] = " << got << ", want " << ref[i]);
    }
    if (k_cols > 0) {
      std::vector<double> kx(k_cols), kw(k_cols);
      for (int i = 0; i < k_cols; ++i) {
        kx[i] = bf16_value(proj[static_cast<std::size_t>(t) * stride + q_cols + i]);
        kw[i] = bf16_value(wk[i]);
      }
      const std::vector<double> kref = hipfuse_test::rmsnorm_row_reference(kx, kw, 1e-6);
      for (int i = 0; i < k_cols; ++i) {
        const double got = bf16_value(proj_after[static_cast<std::size_t>(t) * stride + q_cols + i]);
        if (!within_one_ulp(got, kref[i]) && bad++ < 5)
          FAIL_CHECK("k[" << t << "," << i << "] = " << got << ", want " << kref[i]);
      }
    }
    for (int i = q_cols + k_cols; i < stride; ++i)  // rope part untouched
      if (proj_after[static_cast<std::size_t>(t) * stride + i].bits !=
              proj[static_cast<std::size_t>(t) * stride + i].bits &&
          bad++ < 5)
        FAIL_CHECK("rope element " << t << "," << i << " was written");
  }
  const auto ref = hipfuse_test::quantize_matrix_reference(y_exact, tokens, q_cols, 128, hipfuse_test::e4m3fn_spec,
                                                           448.0f, 1e-10f, pow2);
  for (std::size_t i = 0; i < q.size(); ++i) {
    const std::uint8_t want = i < ref.codes.size() ? ref.codes[i] : 0xA5;
    if ((q[i].bits != want || q2[i].bits != want) && bad++ < 10)
      FAIL_CHECK("code " << i << ": got 0x" << std::hex << int(q[i].bits) << " / 0x" << int(q2[i].bits) << ", want 0x"
                         << int(want));
  }
  std::vector<std::uint8_t> want_s(scale_words * sizeof(storage), 0xA5);
  for (int t = 0; t < tokens; ++t) {
    for (int g = 0; g < groups; ++g) {
      const std::size_t r = static_cast<std::size_t>(t) * groups + g;
      if constexpr (std::is_same_v<Layout, scale_layout::ue8m0_packed_column_major>) {
        want_s[static_cast<std::size_t>((g / 4) * scale_stride + t) * 4 + g % 4] = ref.scales_e8m0[r];
      } else if constexpr (std::is_same_v<Layout, scale_layout::row_major>) {
        if (pow2)
          want_s[static_cast<std::size_t>(t) * scale_stride + g] = ref.scales_e8m0[r];
        else
          std::memcpy(&want_s[(static_cast<std::size_t>(t) * scale_stride + g) * 4], &ref.scales[r], 4);
      } else {
        std::memcpy(&want_s[(static_cast<std::size_t>(g) * scale_stride + t) * 4], &ref.scales[r], 4);
      }
    }
    if constexpr (std::is_same_v<Layout, scale_layout::ue8m0_packed_column_major>)
      for (int g = groups; g % 4 != 0; ++g)
        want_s[static_cast<std::size_t>((g / 4) * scale_stride + t) * 4 + g % 4] = 0;
  }
  std::vector<std::uint8_t> got_s(want_s.size()), got_s2(want_s.size());
  std::memcpy(got_s.data(), sc.data(), got_s.size());
  std::memcpy(got_s2.data(), sc2.data(), got_s2.size());
  for (std::size_t i = 0; i < want_s.size(); ++i)
    if ((got_s[i] != want_s[i] || got_s2[i] != want_s[i]) && bad++ < 15)
      FAIL_CHECK("scale byte " << i << ": got 0x" << std::hex << int(got_s[i]) << " / 0x" << int(got_s2[i])
                               << ", want 0x" << int(want_s[i]));
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("fused RMSNorm -> FP8 on the MLA shape: q quantized, k_nope normalized in place", "[quant]") {
  const int tokens = hipfuse_test::gpu_sizes() ? 1000 : 5;
  check_fused<scale_layout::column_major_aligned4, float>(tokens, 1536, 512, false);
  check_fused<scale_layout::column_major_aligned4, float>(1, 1536, 512, false);
  check_fused<scale_layout::row_major, float>(3, 1536, 512, false);
}

TEST_CASE("fused RMSNorm -> FP8 of hidden states with a residual", "[quant]") {
  const int tokens = hipfuse_test::gpu_sizes() ? 777 : 3;
  check_fused<scale_layout::row_major, float>(tokens, 7168, 0, true);
  check_fused<scale_layout::ue8m0_packed_column_major, ue8m0>(tokens, 1536, 0, true);
}

// On a GPU each launch shape the fused launcher picks (docs/rmsnorm.md, docs/quantization.md): one
// block per token of q and k when there is no residual (on NVIDIA two vectors per thread in blocks of
// 128, 256 and 512 threads, one vector where the rows are not whole waves of 32-byte pieces); otherwise wide
// (at most 512 rows), latency, streaming; paired vectors (16 values per lane and group piece) where
// the row is a multiple of a wave's 32-byte pieces, single vectors where it is not (768, 1280).
TEST_CASE("fused RMSNorm -> FP8 in every launch shape", "[quant]") {
  const bool gpu = hipfuse_test::gpu_sizes();
  check_fused<scale_layout::row_major, float>(gpu ? 16 : 2, 7168, 0, true);                    // wide, paired
  check_fused<scale_layout::column_major, float>(gpu ? 2100 : 2, 1536, 512, true);             // streaming, paired
  check_fused<scale_layout::column_major_aligned4, float>(gpu ? 200 : 2, 768, 256, false);     // wide, single
  check_fused<scale_layout::row_major, float>(gpu ? 3000 : 2, 1280, 0, false);                  // latency, single
  check_fused<scale_layout::column_major, float>(gpu ? 2100 : 2, 1536, 512, false);            // token: 128 x 2
  check_fused<scale_layout::row_major, float>(gpu ? 300 : 2, 2048, 1024, false);               // token: 256 x 2
  check_fused<scale_layout::ue8m0_packed_column_major, ue8m0>(gpu ? 300 : 2, 4096, 1024, false);  // token: 512 x 2
  check_fused<scale_layout::row_major, float>(gpu ? 300 : 2, 1280, 256, false);                // token: 256 x 1
}

TEST_CASE("fused RMSNorm -> FP8 rejects bad arguments and writes nothing", "[quant]") {
  using args_t = rmsnorm_quant_args<bfloat16, scale_layout::row_major, float, 128, float8_e4m3fn>;
  const int rows = 4, cols = 1536;
  device_buffer<bfloat16> x(random_values<bfloat16>(rows * cols, -1.0f, 1.0f));
  device_buffer<bfloat16> w(random_values<bfloat16>(cols, 0.5f, 1.5f));
  device_buffer<float8_e4m3fn> q(rows * cols);
  device_buffer<float> s(rows * cols / 128);
  const auto fresh = [&] {
    q.poison();
    s.poison();
    args_t a;
    a.input = x.get();
    a.input_stride = cols;
    a.weight = w.get();
    a.codes = q.get();
    a.code_stride = cols;
    a.scales = s.get();
    a.scale_stride = cols / 128;
    a.rows = rows;
    a.cols = cols;
    return a;
  };
  const auto expect = [&](const args_t& a, status_code code, const char* what) {
    INFO(what);
    const status st = rmsnorm_quant(a);
    INFO(st.message);
    CHECK(st.code == code);
    for (const auto& v : q.download()) REQUIRE(v.bits == 0xA5);
  };
  REQUIRE(rmsnorm_quant(fresh()).ok());
  args_t a = fresh();
  a.cols = 1500;
  expect(a, status_code::invalid_shape, "cols not a multiple of 128");
  a = fresh();
  a.weight = nullptr;
  expect(a, status_code::null_pointer, "null weight");
  a = fresh();
  a.input = x.get() + 4;
  a.input_stride = cols;
  a.rows = rows - 1;
  expect(a, status_code::misaligned, "input 8 bytes off");
  a = fresh();
  a.codes = reinterpret_cast<float8_e4m3fn*>(x.get());
  expect(a, status_code::overlap, "codes over the input");
  a = fresh();
  a.scale_stride = 5;
  expect(a, status_code::invalid_stride, "scale stride");
  a = fresh();
  a.eps = 0.0f;
  expect(a, status_code::invalid_value, "eps 0");
  a = fresh();
  a.fp8_max = 500.0f;
  expect(a, status_code::invalid_value, "fp8_max above 448");
  a = fresh();
  a.second.rows = rows;
  a.second.cols = 512;
  a.second.input = x.get();
  a.second.input_stride = cols;
  a.second.output = x.get() + 512;
  a.second.output_stride = cols;
  a.second.weight = w.get();
  expect(a, status_code::overlap, "second output over the quantized input");
}
