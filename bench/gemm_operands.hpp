// The operands of one block-scale GEMM on random fp8 data, shared by bench_gemm and sweep_gemm:
// A [M, K] and B [N, K] (standard, K-major), fp32 scales with A's column-major (ld = M, the layout
// torch._scaled_mm reads), bf16 C, and the process's GEMM workspace.
#pragma once
#include <cstdint>
#include <hipfuse/gemm/block_scale_gemm_args.hpp>
#include "harness.hpp"
#include "shapes.hpp"

namespace hipfuse_bench {

// The GEMM's workspace (args.workspace), zeroed once and shared by every launch of the process, as
// an engine would give one to its stream (cuBLASLt gets 32 MiB the same way): it lets the launcher
// pick the decode shapes that split a tile over blocks (N = 2112 at M <= 32 on the H100).
inline void* gemm_workspace(std::int64_t& bytes) {
  static buffer<unsigned char> w = [] {
    buffer<unsigned char> b(std::size_t{16} << 20);
    HIPFUSE_BENCH_CHECK(cudaMemset(b.get(), 0, b.bytes()));
    return b;
  }();
  bytes = static_cast<std::int64_t>(w.bytes());
  return w.get();
}

// A GEMM's bytes: A, B, C and the fp32 scales, each once (the rotating sets are sized by them).
inline double gemm_bytes(int m, int n, int k) {
  const int kb = k / group, nb = (n + group - 1) / group;
  return double(m) * k + double(n) * k + 2.0 * m * n + 4.0 * m * kb + 4.0 * nb * kb;
}

struct gemm_operands {
  using fp8 = hipfuse::float8_e4m3fn;
  using args_type = hipfuse::gemm::block_scale_gemm_args<fp8, hipfuse::gemm::scale_col_major, float>;

  buffer<fp8> a, b;
  buffer<float> sa, sb;
  buffer<hipfuse::bfloat16> c;
  args_type args;

  gemm_operands(int m, int n, int k) : a(std::size_t(m) * k), b(std::size_t(n) * k), sa(std::size_t(m) * (k / group)),
      sb(std::size_t((n + group - 1) / group) * (k / group)), c(std::size_t(m) * n) {
    // fp8 values spread over most of the format's range, scales of ~1e-3: outputs of order one.
    a.random(-224.0f, 224.0f);
    b.random(-224.0f, 224.0f);
    sa.random(1e-3f, 2e-3f);
    sb.random(1e-3f, 2e-3f);
    args.a = a.get();
    args.lda = k;
    args.a_scale = {sa.get(), m};
    args.b = {b.get(), k};
    args.b_scale = sb.get();
    args.c = c.get();
    args.ldc = n;
    args.m = m;
    args.n = n;
    args.k = k;
    args.workspace = gemm_workspace(args.workspace_bytes);
  }
};

}  // namespace hipfuse_bench
