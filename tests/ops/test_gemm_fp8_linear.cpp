// fp8_linear = group_quant into the workspace + block-scale GEMM: the workspace holds exactly what
// group_quant writes on its own, the output matches float64 over the quantized operands, and bad
// arguments write nothing (neither the output nor the workspace).
#include <algorithm>
#include <cmath>
#include <hipfuse/gemm/fp8_linear.hpp>
#include "fp8_reference.hpp"
#include "gemm_reference.hpp"
#include "test_support.hpp"

using namespace hipfuse;

namespace {

using fp8 = float8_e4m3fn;  // the host platform and NVIDIA
using layout = scale_layout::column_major_aligned4;
using args_t = gemm::fp8_linear_args<fp8, bfloat16, layout, float>;

struct problem {
  int m, n, k;
  std::vector<bfloat16> x;
  std::vector<std::uint8_t> w;
  std::vector<float> w_scale;
  problem(int m_, int n_, int k_) : m(m_), n(n_), k(k_) {
    for (float v : hipfuse_test::random_floats(static_cast<std::size_t>(m) * k, -3.0f, 3.0f))
      x.push_back(to_bfloat16(v));
    w = hipfuse_test::random_codes(hipfuse_test::e4m3fn_spec, static_cast<std::size_t>(n) * k, hipfuse_test::rng());
    w_scale = hipfuse_test::random_floats(static_cast<std::size_t>((n + 127) / 128) * (k / 128), 1e-4f, 1e-3f);
  }
};

// The operands every case shares: x [M, K], W [N, K] with its block scales, y [M, N], all packed.
args_t operands(const bfloat16* x, const fp8* w, const float* w_scale, bfloat16* y, int m, int n, int k) {
  args_t a;
  a.x = x;
  a.ldx = k;
  a.w = {w, k};
  a.w_scale = w_scale;
  a.y = y;
  a.ldy = n;
  a.m = m;
  a.n = n;
  a.k = k;
  return a;
}

}  // namespace

TEST_CASE("fp8_linear: quantize + GEMM against float64 and group_quant alone", "[gemm][fp8_linear]") {
  const bool gpu = hipfuse_test::gpu_sizes();
  for (int m : gpu ? std::vector<int>{1, 64, 300} : std::vector<int>{1, 20}) {
    const int n = gpu ? 2112 : 144, k = gpu ? 7168 : 512;
    INFO("M=" << m << " N=" << n << " K=" << k);
    problem pr(m, n, k);
    hipfuse_test::device_buffer<bfloat16> x(pr.x), y(static_cast<std::size_t>(m) * n);
    hipfuse_test::device_buffer<fp8> w(pr.w.size());
    REQUIRE(platform::copy(w.get(), pr.w.data(), pr.w.size(), platform::copy_kind::host_to_device).ok());
    hipfuse_test::device_buffer<float> w_scale(pr.w_scale);
    args_t a = operands(x.get(), w.get(), w_scale.get(), y.get(), m, n, k);
    hipfuse_test::device_buffer<fp8> x_q(static_cast<std::size_t>(m) * k);
    hipfuse_test::device_buffer<float> x_scale(static_cast<std::size_t>(a.scale_elements()));
    a.x_q = x_q.get();
    a.x_scale = x_scale.get();
    // The GEMM's workspace, zeroed (on sm90 M = 1 and N = 2112 then split each tile over four blocks).
    const std::int64_t gemm_ws_bytes = std::max<std::int64_t>(gemm::block_scale_gemm_workspace_bytes(m, n), 16);
    hipfuse_test::device_buffer<std::uint32_t> gemm_ws(std::vector<std::uint32_t>(static_cast<std::size_t>(gemm_ws_bytes / 4), 0u));
    a.gemm_workspace = gemm_ws.get();
    a.gemm_workspace_bytes = gemm_ws_bytes;
    y.poison();
    const status s = fp8_linear(a);
    INFO(s.message);
    REQUIRE(s.ok());
    const auto out = y.download();
    const auto q = x_q.download();
    const auto sc = x_scale.download();

    // The workspace is group_quant's own output.
    hipfuse_test::device_buffer<fp8> q2(q.size());
    hipfuse_test::device_buffer<float> sc2(sc.size());
    auto qa = a.quantization();
    qa.output = q2.get();
    qa.scales = sc2.get();
    REQUIRE(group_quant(qa).ok());
    const auto q_alone = q2.download();
    const auto sc_alone = sc2.download();
    std::size_t differ = 0;
    for (std::size_t i = 0; i < q.size(); ++i) differ += q[i].bits != q_alone[i].bits;
    for (int r = 0; r < m; ++r)
      for (int g = 0; g < k / 128; ++g) {
        const std::size_t at = static_cast<std::size_t>(g * a.scale_stride() + r);
        differ += sc[at] != sc_alone[at];
      }
    CHECK(differ == 0);

    // float64 over the quantized operands.
    double decode[256];
    for (int i = 0; i < 256; ++i) decode[i] = hipfuse_test::e4m3fn_spec.decode(static_cast<std::uint8_t>(i));
    auto a_at = [&](int r, int kk) { return decode[q[static_cast<std::size_t>(r) * k + kk].bits]; };
    auto b_at = [&](int c, int kk) { return decode[pr.w[static_cast<std::size_t>(c) * k + kk]]; };
    auto sa_at = [&](int r, int g) {
      return static_cast<double>(sc[static_cast<std::size_t>(g * a.scale_stride() + r)]);
    };
    auto sb_at = [&](int nb, int g) {
      return static_cast<double>(pr.w_scale[static_cast<std::size_t>(nb) * (k / 128) + g]);
    };
    std::vector<double> got, want;
    std::uniform_int_distribution<int> col(0, n - 1);
    for (int r = 0; r < m; r += (m > 8 ? 7 : 1))
      for (int t = 0; t < 64; ++t) {
        const int c = t < 2 ? (t == 0 ? 0 : n - 1) : col(hipfuse_test::rng());
        want.push_back(hipfuse_test::gemm_reference_element(r, c, k, a_at, b_at, sa_at, sb_at));
        got.push_back(to_float(out[static_cast<std::size_t>(r) * n + c]));
      }
    const double err = hipfuse_test::relative_frobenius_error(got, want);
    INFO("relative Frobenius error " << err);
    CHECK(err <= 1e-2);
    std::size_t unwritten = 0;
    for (const bfloat16& v : out) unwritten += v.bits == hipfuse_test::device_buffer<bfloat16>::poison_value().bits;
    CHECK(unwritten == 0);
  }
}

TEST_CASE("fp8_linear validation writes nothing", "[gemm][fp8_linear][validation]") {
  const int m = 4, n = 32, k = 256;
  problem pr(m, n, k);
  hipfuse_test::device_buffer<bfloat16> x(pr.x), y(static_cast<std::size_t>(m) * n);
  hipfuse_test::device_buffer<fp8> w(pr.w.size()), x_q(static_cast<std::size_t>(m) * k);
  hipfuse_test::device_buffer<float> w_scale(pr.w_scale), x_scale(64);
  auto good = [&] {
    args_t a = operands(x.get(), w.get(), w_scale.get(), y.get(), m, n, k);
    a.x_q = x_q.get();
    a.x_scale = x_scale.get();
    return a;
  };
  y.poison();
  x_q.poison();
  args_t no_workspace = good();
  no_workspace.x_scale = nullptr;
  CHECK(fp8_linear(no_workspace).code == status_code::null_pointer);
  args_t bad_k = good();
  bad_k.k = 192;
  bad_k.ldx = 192;
  CHECK(fp8_linear(bad_k).code == status_code::invalid_shape);
  args_t bad_ldy = good();
  bad_ldy.ldy = 16;
  CHECK(fp8_linear(bad_ldy).code == status_code::invalid_stride);  // found by the GEMM's check, before quantizing
  std::size_t written = 0;
  for (const bfloat16& v : y.download())
    written += v.bits != hipfuse_test::device_buffer<bfloat16>::poison_value().bits;
  for (const fp8& v : x_q.download()) written += v.bits != hipfuse_test::device_buffer<fp8>::poison_value().bits;
  CHECK(written == 0);
  CHECK(fp8_linear(good()).ok());
}
