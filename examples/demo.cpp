// hipfuse demo: the FP8 q path of a DeepSeek-V3 MLA attention layer, in two launches.
//
//   fused projection output  [T, 2112] bf16  = [ q_c 1536 | k_nope 512 | k_pe 64 ]
//   1. rmsnorm_quant:      q_c -> RMSNorm -> fp8 codes [T, 1536] + 1x128 scales (column-major, [12, T]);
//                          k_nope -> RMSNorm in place (stays bf16); k_pe is never touched
//   2. block_scale_gemm:   q = q_codes · W_qbᵀ with W_qb fp8 [N, 1536] and 128x128 block scales -> bf16 [T, N]
//
// It runs on the GPU the launchers find (NVIDIA through CUDA, AMD through HIP) or on the host
// backend, with the fp8 format of that arch (e4m3fnuz on gfx942, e4m3fn elsewhere), and checks
// each step against float64 references computed here.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>
#include <hipfuse/gemm/block_scale_gemm_launcher.hpp>
#include <hipfuse/platform/device_buffer.hpp>
#include <hipfuse/quant/rmsnorm_quant_launch.hpp>

using hipfuse::bfloat16;
namespace platform = hipfuse::platform;
template <class T>
using device_vector = hipfuse::platform::device_buffer<T>;

namespace {

double rms_inverse(const bfloat16* row, int n, double eps) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += double(hipfuse::to_float(row[i])) * hipfuse::to_float(row[i]);
  return 1.0 / std::sqrt(sum / n + eps);
}

const char* platform_name() {
  switch (hipfuse::compiled_platform) {
    case hipfuse::platform_kind::hip: return "HIP (AMD GPU)";
    case hipfuse::platform_kind::cuda: return "CUDA (NVIDIA GPU)";
    default: return "host backend (no GPU)";
  }
}

template <class Arch>
int run(Arch) {
  using P = hipfuse::policy<Arch>;
  using Fp8 = typename P::fp8_type;
  using ScaleLayout = hipfuse::scale_layout::column_major;  // aiter's transposed scales
  constexpr bool on_host = Arch::id == hipfuse::arch_id::host;
  const int tokens = on_host ? 16 : 512, width = 2112, q_cols = 1536, k_cols = 512, n = on_host ? 256 : 2048;
  const float eps = 1e-6f;

  std::printf("hipfuse demo on %s, arch %s\n", platform_name(), Arch::name);
  std::printf("  policy: fp8 %s, reductions %s, fp8 convert %s, GEMM %s\n", Fp8::name, P::reduce_backend::name,
              P::template fp8_convert_backend<>::name, P::template gemm_backend<float>::name);

  std::mt19937 rng(2112);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<bfloat16> buffer(std::size_t(tokens) * width), q_weight(q_cols), k_weight(k_cols);
  for (auto& v : buffer) v = hipfuse::to_bfloat16(3.0f * normal(rng));
  for (auto& v : q_weight) v = hipfuse::to_bfloat16(1.0f + 0.1f * normal(rng));
  for (auto& v : k_weight) v = hipfuse::to_bfloat16(1.0f + 0.1f * normal(rng));
  // W_qb as a loaded checkpoint holds it: fp8 codes with one fp32 scale per 128x128 block.
  std::vector<Fp8> w(std::size_t(n) * q_cols);
  std::vector<float> w_scale(std::size_t(n / 128) * (q_cols / 128));
  for (auto& s : w_scale) s = 0.02f / Fp8::max_finite * (1.0f + 0.5f * std::fabs(normal(rng)));
  for (auto& c : w) c = hipfuse::float_to_fp8<Fp8>(Fp8::max_finite * 0.5f * normal(rng));

  device_vector<bfloat16> d_buffer(buffer), d_qw(q_weight), d_kw(k_weight);
  device_vector<Fp8> d_w(w), d_q_codes(std::size_t(tokens) * q_cols);
  device_vector<float> d_w_scale(w_scale), d_q_scales(std::size_t(q_cols / 128) * tokens);
  device_vector<bfloat16> d_out(std::size_t(tokens) * n);
  for (const hipfuse::status* s : {&d_buffer.state(), &d_w.state(), &d_q_scales.state(), &d_out.state()})
    if (!s->ok()) {
      std::printf("allocation failed: %s\n", s->message.c_str());
      return 1;
    }

  // 1. Fused RMSNorm -> FP8 for q, RMSNorm in place for k_nope.
  hipfuse::rmsnorm_quant_args<bfloat16, ScaleLayout, float, 128, Fp8> nq;
  nq.input = d_buffer.get();
  nq.input_stride = width;
  nq.weight = d_qw.get();
  nq.eps = eps;
  nq.codes = d_q_codes.get();
  nq.code_stride = q_cols;
  nq.scales = d_q_scales.get();
  nq.scale_stride = ScaleLayout::natural_stride(tokens, q_cols / 128);
  nq.rows = tokens;
  nq.cols = q_cols;
  nq.second = {d_buffer.get() + q_cols, width, d_buffer.get() + q_cols, width, d_kw.get(), tokens, k_cols, eps};
  if (hipfuse::status s = hipfuse::rmsnorm_quant(nq); !s.ok()) {
    std::printf("rmsnorm_quant refused: %s\n", s.message.c_str());
    return 1;
  }

  // 2. Block-scale FP8 GEMM on the codes and scales step 1 wrote, in the layout the GEMM takes.
  hipfuse::gemm::block_scale_gemm_args<Fp8, ScaleLayout, float> g;
  g.a = d_q_codes.get();
  g.lda = q_cols;
  g.a_scale = {d_q_scales.get(), nq.scale_stride};
  g.b = {d_w.get(), q_cols};
  g.b_scale = d_w_scale.get();
  g.c = d_out.get();
  g.ldc = n;
  g.m = tokens;
  g.n = n;
  g.k = q_cols;
  if (hipfuse::status s = hipfuse::gemm::block_scale_gemm(g); !s.ok()) {
    std::printf("block_scale_gemm refused: %s\n", s.message.c_str());
    return 1;
  }

  const std::vector<bfloat16> after = d_buffer.download(), out = d_out.download();
  const std::vector<Fp8> codes = d_q_codes.download();
  const std::vector<float> scales = d_q_scales.download();

  // Checks against float64.
  long k_far = 0, k_pe_changed = 0;
  double q_err = 0, q_norm = 0;
  for (int t = 0; t < tokens; ++t) {
    const bfloat16* row = &buffer[std::size_t(t) * width];
    const double q_inv = rms_inverse(row, q_cols, eps), k_inv = rms_inverse(row + q_cols, k_cols, eps);
    for (int j = 0; j < q_cols; ++j) {
      const double ref = hipfuse::to_float(row[j]) * q_inv * hipfuse::to_float(q_weight[j]);
      const double got = double(hipfuse::fp8_to_float(codes[std::size_t(t) * q_cols + j])) *
                         scales[ScaleLayout::offset(t, j / 128, nq.scale_stride)];
      q_err += (got - ref) * (got - ref);
      q_norm += ref * ref;
    }
    for (int j = 0; j < k_cols; ++j) {
      const double ref = hipfuse::to_float(row[q_cols + j]) * k_inv * hipfuse::to_float(k_weight[j]);
      const double got = hipfuse::to_float(after[std::size_t(t) * width + q_cols + j]);
      const double ulp = std::ldexp(1.0, std::ilogb(ref == 0 ? 1e-30 : ref) - 7);
      k_far += std::fabs(got - ref) > ulp;
    }
    for (int j = q_cols + k_cols; j < width; ++j) k_pe_changed += after[std::size_t(t) * width + j].bits != row[j].bits;
  }
  // The GEMM's float64 reference on the very fp8 operands it read (decoded once).
  std::vector<double> a_value(codes.size()), w_value(w.size());
  for (std::size_t i = 0; i < codes.size(); ++i) a_value[i] = hipfuse::fp8_to_float(codes[i]);
  for (std::size_t i = 0; i < w.size(); ++i) w_value[i] = hipfuse::fp8_to_float(w[i]);
  double c_err = 0, c_norm = 0;
  for (int t = 0; t < tokens; ++t)
    for (int j = 0; j < n; ++j) {
      double ref = 0;
      for (int kb = 0; kb < q_cols / 128; ++kb) {
        const double* a_row = &a_value[std::size_t(t) * q_cols + kb * 128];
        const double* w_row = &w_value[std::size_t(j) * q_cols + kb * 128];
        double block = 0;
        for (int kk = 0; kk < 128; ++kk) block += a_row[kk] * w_row[kk];
        ref += block * scales[ScaleLayout::offset(t, kb, nq.scale_stride)] *
               w_scale[std::size_t(j / 128) * (q_cols / 128) + kb];
      }
      const double got = hipfuse::to_float(out[std::size_t(t) * n + j]);
      c_err += (got - ref) * (got - ref) + (std::isnan(got) ? 1e300 : 0.0);
      c_norm += ref * ref;
    }
  const double q_rel = std::sqrt(q_err / q_norm), c_rel = std::sqrt(c_err / c_norm);
  const bool ok = k_far == 0 && k_pe_changed == 0 && q_rel < 0.05 && c_rel <= 1e-2;
  std::printf("  1. rmsnorm_quant  T=%d: k_nope elements beyond 1 bf16 ulp of float64: %ld of %ld; k_pe bytes changed: %ld\n",
              tokens, k_far, long(tokens) * k_cols, k_pe_changed);
  std::printf("                    dequantized q vs float64 RMSNorm: relative error %.2e (fp8 e4m3 rounding, < 5e-2)\n",
              q_rel);
  std::printf("  2. block_scale_gemm %dx%dx%d: relative error vs float64 on the same fp8 operands %.2e (<= 1e-2)\n",
              tokens, n, q_cols, c_rel);
  std::printf("%s\n", ok ? "PASSED" : "FAILED");
  return ok ? 0 : 1;
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each line shows at once, also through a pipe
  int rc = 1;
  const hipfuse::status s = hipfuse::with_detected_arch([&](auto arch_tag) {
    rc = run(arch_tag);
    return hipfuse::status::success();
  });
  if (!s.ok()) std::printf("%s\n", s.message.c_str());
  return s.ok() ? rc : 1;
}
