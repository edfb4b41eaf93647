// An FP8 linear layer (DeepSeek-V3's w8a8 block FP8 linear): y = x·Wᵀ with x bf16 [M, K] quantized
// per 1x128 group on the fly and W fp8 [N, K] with 128x128 block scales, two ways:
//
//  1. the library's host call, hipfuse::fp8_linear (quantize into a workspace, then the GEMM);
//  2. the user's own kernels composing the library's device functors: one kernel runs
//     group_quant_functor, a second runs block_scale_gemm_tile for two weights in one launch
//     (a gate and an up projection sharing the quantized activation), picking the problem by block.
//
// Both must agree: the same bits where both run the same tiles, else to within 2 bf16 ulps plus
// 1e-3 of the outputs' RMS (on sm90 the host call runs the wgmma backend, whose fp32 sums run in
// another order, e.g. with a tile's k blocks split over two warpgroups); the result is checked
// against a float64 evaluation of the quantized operands. It runs on the GPU it was compiled for (nvcc: NVIDIA; hipcc: AMD) or, built
// as plain C++, on the host backend.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>
#include <hipfuse/gemm/fp8_linear.hpp>
#include <hipfuse/platform/device_buffer.hpp>
#include <hipfuse/kernel.hpp>
#include <hipfuse/numeric/fp8.hpp>

using hipfuse::bfloat16;
namespace gemm = hipfuse::gemm;
namespace platform = hipfuse::platform;
using scale_layout_t = hipfuse::scale_layout::column_major;

template <class Fp8>
using linear_args = gemm::fp8_linear_args<Fp8, bfloat16, scale_layout_t, float>;

// User kernel 1: quantize the activation with the library's functor (a real engine would compute
// the activation here first).
template <class Functor>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS(Functor::block_size) user_quant_kernel(typename Functor::params p) {
  hipfuse::kernel_body<typename Functor::arch>([&] { Functor{}(p, Functor::block_size); });
}

// User kernel 2: two GEMMs in one launch. Blocks [0, tiles_first) compute the first problem, the
// rest the second; each block runs the library's tile functor with its own shared storage.
template <class Policy, class Args>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS((gemm::block_scale_gemm_tile<Policy, Args>::threads))
    user_two_gemm_kernel(Args first, Args second) {
  hipfuse::kernel_body<typename Policy::arch>([&] {
    using tile = gemm::block_scale_gemm_tile<Policy, Args>;
    HIPFUSE_SHARED typename tile::shared_storage shared;
    const int first_tiles = tile::grid_x(first.n) * tile::grid_y(first.m);
    int b = platform::block_rank_x();
    const Args& p = b < first_tiles ? first : second;
    if (b >= first_tiles) b -= first_tiles;
    tile::run(p, shared, b / tile::grid_x(p.n), b % tile::grid_x(p.n));
  });
}

// Device memory for the example (host memory on the host backend).
template <class T>
using device_array = hipfuse::platform::device_buffer<T>;

// 128x128 block quantization of a weight on the host (done once, at load time).
template <class Fp8>
void quantize_weight(const std::vector<float>& w, int n, int k, std::vector<Fp8>& codes, std::vector<float>& scales) {
  codes.resize(static_cast<std::size_t>(n) * k);
  scales.assign(static_cast<std::size_t>((n + 127) / 128) * (k / 128), 0.0f);
  for (int nb = 0; nb < (n + 127) / 128; ++nb)
    for (int kb = 0; kb < k / 128; ++kb) {
      float amax = 0.0f;
      for (int i = nb * 128; i < std::min(n, nb * 128 + 128); ++i)
        for (int j = kb * 128; j < kb * 128 + 128; ++j) amax = std::max(amax, std::fabs(w[std::size_t(i) * k + j]));
      const float scale = std::max(amax, 1e-10f) / Fp8::max_finite;
      scales[std::size_t(nb) * (k / 128) + kb] = scale;
      for (int i = nb * 128; i < std::min(n, nb * 128 + 128); ++i)
        for (int j = kb * 128; j < kb * 128 + 128; ++j)
          codes[std::size_t(i) * k + j] = hipfuse::float_to_fp8<Fp8>(w[std::size_t(i) * k + j] / scale);
    }
}

template <class Arch>
int run(Arch) {
  using Fp8 = typename Arch::fp8_type;
  using P = hipfuse::policy<Arch>;
  const bool host = Arch::id == hipfuse::arch_id::host;
  const int m = host ? 20 : 128, n = host ? 144 : 2112, k = host ? 512 : 7168;

  std::mt19937 rng(7168);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<bfloat16> x(std::size_t(m) * k);
  for (auto& v : x) v = hipfuse::from_float<bfloat16>(normal(rng));
  std::vector<float> w_gate(std::size_t(n) * k), w_up(std::size_t(n) * k);
  for (auto& v : w_gate) v = 0.02f * normal(rng);
  for (auto& v : w_up) v = 0.02f * normal(rng);
  std::vector<Fp8> gate_codes, up_codes;
  std::vector<float> gate_scales, up_scales;
  quantize_weight(w_gate, n, k, gate_codes, gate_scales);
  quantize_weight(w_up, n, k, up_codes, up_scales);

  device_array<bfloat16> d_x(x);
  device_array<Fp8> d_gate(gate_codes), d_up(up_codes);
  device_array<float> d_gate_s(gate_scales), d_up_s(up_scales);
  device_array<bfloat16> d_y_call(std::size_t(m) * n), d_gate_y(std::size_t(m) * n), d_up_y(std::size_t(m) * n);

  // 1. The host call.
  linear_args<Fp8> a;
  a.x = d_x.get();
  a.ldx = k;
  a.w = {d_gate.get(), k};
  a.w_scale = d_gate_s.get();
  a.y = d_y_call.get();
  a.ldy = n;
  a.m = m;
  a.n = n;
  a.k = k;
  device_array<Fp8> x_q(std::size_t(m) * k);
  device_array<float> x_scale(static_cast<std::size_t>(a.scale_elements()));
  a.x_q = x_q.get();
  a.x_scale = x_scale.get();
  if (hipfuse::status s = hipfuse::fp8_linear(a); !s.ok()) {
    std::printf("fp8_linear failed: %s\n", s.message.c_str());
    return 1;
  }
  const std::vector<bfloat16> y_call = d_y_call.download();
  const std::vector<Fp8> xq = x_q.download();
  const std::vector<float> xs = x_scale.download();

  // 2. The user's kernels. Fresh workspace, so nothing is left over from the host call.
  device_array<Fp8> x_q2(std::size_t(m) * k);
  device_array<float> x_scale2(static_cast<std::size_t>(a.scale_elements()));
  using quant = hipfuse::group_quant_functor<P, bfloat16, scale_layout_t, float, 128>;
  typename quant::params qp{d_x.get(), k, x_q2.get(), k, {x_scale2.get(), a.scale_stride()}, m, k / 128, Fp8::max_finite,
                            1e-10f};
  const int quant_grid = (m * (k / 128) + quant::groups_per_block - 1) / quant::groups_per_block;
  bool ok = platform::launch(user_quant_kernel<quant>, {quant_grid, 1}, quant::block_size, 0, nullptr, qp).ok();
  linear_args<Fp8> up = a;
  up.w = {d_up.get(), k};
  up.w_scale = d_up_s.get();
  up.y = d_up_y.get();
  up.x_q = x_q2.get();
  up.x_scale = x_scale2.get();
  linear_args<Fp8> gate = up;
  gate.w = {d_gate.get(), k};
  gate.w_scale = d_gate_s.get();
  gate.y = d_gate_y.get();
  using args_t = typename linear_args<Fp8>::gemm_args;
  using tile = gemm::block_scale_gemm_tile<P, args_t>;
  const int blocks = 2 * tile::grid_x(n) * tile::grid_y(m);
  ok = ok && platform::launch(user_two_gemm_kernel<P, args_t>, {blocks, 1}, host ? 1 : tile::threads, 0, nullptr,
                              gate.gemm(), up.gemm())
                 .ok();
  const std::vector<bfloat16> y_gate = d_gate_y.download(), y_up = d_up_y.download();
  if (!ok) {
    std::printf("a user kernel failed to launch\n");
    return 1;
  }

  // The host call and the user's kernel agree: the same bits where both run the same tiles, else
  // within 2 bf16 ulps plus 1e-3 of the outputs' RMS (fp32 sums in another order move outputs that
  // are small by cancellation by more than their own ulps).
  double rms = 0;
  for (const bfloat16 v : y_call) rms += double(hipfuse::to_float(v)) * hipfuse::to_float(v);
  rms = std::sqrt(rms / static_cast<double>(y_call.size()));
  std::size_t differ = 0, beyond_tolerance = 0;
  for (std::size_t i = 0; i < y_call.size(); ++i) {
    if (y_call[i].bits == y_gate[i].bits) continue;
    ++differ;
    const double a = hipfuse::to_float(y_call[i]), b = hipfuse::to_float(y_gate[i]);
    const double larger = std::max(std::fabs(a), std::fabs(b));
    const double ulp = std::ldexp(1.0, std::ilogb(larger == 0.0 ? 1e-30 : larger) - 7);
    if (std::fabs(a - b) > 2.0 * ulp + 1e-3 * rms) ++beyond_tolerance;
  }
  double diff = 0, norm = 0, diff_unquantized = 0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double ref = 0, exact = 0;
      for (int kb = 0; kb < k / 128; ++kb) {
        double block = 0;
        for (int kk = kb * 128; kk < kb * 128 + 128; ++kk) {
          block += double(hipfuse::fp8_to_float(xq[std::size_t(i) * k + kk])) *
                   hipfuse::fp8_to_float(gate_codes[std::size_t(j) * k + kk]);
          exact += double(hipfuse::to_float(x[std::size_t(i) * k + kk])) * w_gate[std::size_t(j) * k + kk];
        }
        ref += block * xs[std::size_t(kb) * a.scale_stride() + i] * gate_scales[std::size_t(j / 128) * (k / 128) + kb];
      }
      const double got = hipfuse::to_float(y_call[std::size_t(i) * n + j]);
      diff += (got - ref) * (got - ref);
      norm += ref * ref;
      diff_unquantized += (got - exact) * (got - exact);
    }
  const double err = std::sqrt(diff / norm), err_unquantized = std::sqrt(diff_unquantized / norm);
  std::printf("fp8_linear on %s: M=%d N=%d K=%d\n", Arch::name, m, n, k);
  std::printf("  host call vs user kernels: %zu of %zu outputs differ, %zu beyond 2 bf16 ulps + 1e-3 RMS\n", differ,
              y_call.size(), beyond_tolerance);
  std::printf("  relative error vs float64 of the quantized operands: %.2e (limit 1e-2)\n", err);
  std::printf("  relative error vs the unquantized bf16 x and fp32 W (quantization included): %.2e\n",
              err_unquantized);
  std::printf("  up projection y[0][0] = %g\n", hipfuse::to_float(y_up[0]));
  return beyond_tolerance == 0 && err <= 1e-2 ? 0 : 1;
}

int main() {
  int rc = 1;
  const hipfuse::status s = hipfuse::with_detected_arch([&](auto arch_tag) {
    rc = run(arch_tag);
    return hipfuse::status::success();
  });
  if (!s.ok()) std::printf("%s\n", s.message.c_str());
  return s.ok() ? rc : 1;
}
