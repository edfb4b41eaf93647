// FP8 linear layer: y = bf16( quant(x) · Wᵀ (+ bias) ), with x in bf16 (or fp16/fp32) [M, K]
// quantized per 1x128 group on the fly (quant/group_quant.hpp) and W the fp8 [N, K] weight with
// 128x128 block scales. Two launches on one stream: group_quant into the caller's workspace, then
// the block-scale GEMM reading it (on sm90 chained to it by programmatic dependent launch: it
// starts copying the weight while group_quant finishes). Everything is validated before the first launch, so a bad
// argument writes nothing.
//
//   gemm::fp8_linear_args<float8_e4m3fn> a;      // the weight's format (e4m3fnuz on gfx942)
//   a.x = x; a.ldx = K; a.w = {W, K}; a.w_scale = ws; a.y = y; a.ldy = N; a.m = M; a.n = N; a.k = K;
//   a.x_q = workspace_fp8;                        // [M, K] bytes
//   a.x_scale = workspace_scales;                 // a.scale_elements() elements of the A-scale layout
//   status s = gemm::fp8_linear(a, stream);
//
// On gfx950 preshuffle the weight once (preshuffle.hpp) and pass BLayout = b_preshuffled: the GEMM
// then loads B straight into registers and only A goes through LDS (docs/gemm.md, AMD code).
#pragma once
#include <cstdint>
#include "../quant/group_quant_launch.hpp"
#include "block_scale_gemm_launcher.hpp"

namespace hipfuse {
namespace gemm {

template <class Fp8, class In = bfloat16, class ALayout = scale_layout::column_major, class AScale = float,
          class BLayout = b_standard, class BScale = AScale>
struct fp8_linear_args {
  using scale_storage = scale_storage_t<ALayout, AScale>;
  using gemm_args = block_scale_gemm_args<Fp8, ALayout, AScale, BLayout, BScale>;
  using quant_args = group_quant_args<In, ALayout, AScale, 128, Fp8>;

  const In* x = nullptr;  // [M, K], row stride ldx
  std::int64_t ldx = 0;
  b_operand<BLayout, Fp8> w;        // [N, K]
  const BScale* w_scale = nullptr;  // [ceil(N/128), K/128]
  const bfloat16* bias = nullptr;   // optional [N]
  bfloat16* y = nullptr;            // [M, N], row stride ldy
  std::int64_t ldy = 0;
  int m = 0, n = 0, k = 0;
  Fp8* x_q = nullptr;                 // workspace: [M, K], row stride K, 16-byte aligned
  scale_storage* x_scale = nullptr;   // workspace: scale_elements() elements
  float fp8_max = 0.0f;               // 0: the format's largest value
  float eps = 1e-10f;
  void* gemm_workspace = nullptr;     // optional: the GEMM's workspace (block_scale_gemm_args::workspace)
  std::int64_t gemm_workspace_bytes = 0;

  std::int64_t scale_stride() const { return ALayout::natural_stride(m, k / 128); }
  std::int64_t scale_elements() const { return ALayout::extent(m, k / 128, scale_stride()); }

  quant_args quantization() const {
    quant_args q;
    q.input = x;
    q.input_row_stride = ldx;
    q.output = x_q;
    q.output_row_stride = k;
    q.scales = x_scale;
    q.scale_stride = scale_stride();
    q.rows = m;
    q.cols = k;
    q.fp8_max = fp8_max;
    q.eps = eps;
    return q;
  }
  gemm_args gemm() const {
    gemm_args g;
    g.a = x_q;
    g.lda = k;
    g.a_scale = {x_scale, scale_stride()};
    g.b = w;
    g.b_scale = w_scale;
    g.bias = bias;
    g.c = y;
    g.ldc = ldy;
    g.m = m;
    g.n = n;
    g.k = k;
    g.workspace = gemm_workspace;
    g.workspace_bytes = gemm_workspace_bytes;
    return g;
  }
};

template <class Fp8, class In, class ALayout, class AScale, class BLayout, class BScale>
status fp8_linear(const fp8_linear_args<Fp8, In, ALayout, AScale, BLayout, BScale>& a,
                  platform::launch_stream stream = {}) {
  static_assert(is_fp8_format<Fp8>, "fp8_linear needs the weight's fp8 format (float8_e4m3fn or float8_e4m3fnuz)");
  if (a.x_q == nullptr || a.x_scale == nullptr)
    return status::error(status_code::null_pointer, "fp8_linear: the workspace (x_q, x_scale) is null");
  const auto q = a.quantization();
  const auto g = a.gemm();
  if (status s = can_implement(q); !s.ok()) return s;
  if (status s = can_implement(g); !s.ok()) return s;
  if (status s = check_fp8_format<Fp8>(); !s.ok()) return s;
  if (status s = group_quant(q, stream); !s.ok()) return s;
  // The GEMM is chained to the quantizer (programmatic dependent launch on sm90): it may launch
  // while group_quant finishes and copies the weight meanwhile; it waits for group_quant before it
  // reads x_q and x_scale. That is safe for the weight whatever ran before: group_quant does not
  // write it, and its blocks, which let the GEMM launch only as they exit, first wait for the
  // kernel before them.
  auto weight_first = g;
  weight_first.b_independent_of_previous_kernel = true;
  platform::launch_stream chained = stream;
  chained.programmatic_dependent_launch = true;
  return block_scale_gemm(weight_first, chained);
}

}  // namespace gemm

using gemm::fp8_linear;

}  // namespace hipfuse
