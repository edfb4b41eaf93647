// cuBLASLt's blockwise FP8 GEMM (CUDA 12.9+ on Hopper: 1x128 activation scales, 128x128 weight
// scales) called directly, so that bench_gemm can time it interleaved with hipfuse in one process:
// the same operands, the same graphs, the same clock changes of a card at its power cap.
// This is the path torch._scaled_mm takes for these scales (peers.py times that too).
//
// Our row-major C[M, N] = A[M, K] · B[N, K]^T is cuBLASLt's column-major D[N, M] = op(A')·op(B')
// with A' = our B (K×N, ld K, transposed: the "TN" form FP8 requires) and B' = our A (K×M, ld K).
// Scales: the weights' BLK128x128 factors as [N/128][K/128] (our sb), the activations' VEC128
// factors K-block-major with ld = M (our column-major sa) — the layouts torch._scaled_mm passes.
#pragma once
#if defined(HIPFUSE_BENCH_CUBLASLT)
#include <cublasLt.h>
#include <cstddef>
#include <string>
#include <hipfuse/gemm/block_scale_gemm_args.hpp>
#include <hipfuse/status.hpp>

namespace hipfuse_bench {

class cublaslt_blockwise {
 public:
  cublaslt_blockwise() {
    ok_ = cublasLtCreate(&handle_) == CUBLAS_STATUS_SUCCESS && cudaMalloc(&workspace_, workspace_bytes) == cudaSuccess;
  }
  ~cublaslt_blockwise() {
    release_plan();
    if (workspace_) (void)cudaFree(workspace_);
    if (handle_) (void)cublasLtDestroy(handle_);
  }
  cublaslt_blockwise(const cublaslt_blockwise&) = delete;
  cublaslt_blockwise& operator=(const cublaslt_blockwise&) = delete;

  // Sets up the descriptors and asks the heuristic for an algorithm for one problem size; the
  // reason when cuBLASLt has none (some sizes are refused, e.g. M not a multiple of 4 on some versions).
  template <class Args>
  hipfuse::status plan(const Args& p) {
    release_plan();
    if (!ok_) return fail("cuBLASLt handle or workspace");
    m_ = p.m, n_ = p.n, k_ = p.k;
    if (p.a_scale.stride != p.m) return fail("activation scales must be column-major with ld = M");
    if (cublasLtMatmulDescCreate(&op_, CUBLAS_COMPUTE_32F, CUDA_R_32F) != CUBLAS_STATUS_SUCCESS) return fail("desc");
    const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
    const cublasLtMatmulMatrixScale_t weight_mode = CUBLASLT_MATMUL_MATRIX_SCALE_BLK128x128_32F;
    const cublasLtMatmulMatrixScale_t act_mode = CUBLASLT_MATMUL_MATRIX_SCALE_VEC128_32F;
    bool set = attr(CUBLASLT_MATMUL_DESC_TRANSA, &transa, sizeof transa) &&
               attr(CUBLASLT_MATMUL_DESC_TRANSB, &transb, sizeof transb) &&
               attr(CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &weight_mode, sizeof weight_mode) &&
               attr(CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &act_mode, sizeof act_mode);
    // Scale pointers are set per call (each rotated set has its own); here the first set's.
    set = set && set_scales(p);
    if (!set) return fail("a matmul attribute (blockwise scaling needs CUDA 12.9+)");
    if (cublasLtMatrixLayoutCreate(&a_, CUDA_R_8F_E4M3, k_, n_, p.b.ld) != CUBLAS_STATUS_SUCCESS ||
        cublasLtMatrixLayoutCreate(&b_, CUDA_R_8F_E4M3, k_, m_, p.lda) != CUBLAS_STATUS_SUCCESS ||
        cublasLtMatrixLayoutCreate(&d_, CUDA_R_16BF, n_, m_, p.ldc) != CUBLAS_STATUS_SUCCESS)
      return fail("a matrix layout");
    cublasLtMatmulPreference_t pref = nullptr;
    if (cublasLtMatmulPreferenceCreate(&pref) != CUBLAS_STATUS_SUCCESS) return fail("preference");
    const std::size_t ws = workspace_bytes;
    (void)cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
    int found = 0;
    const cublasStatus_t h = cublasLtMatmulAlgoGetHeuristic(handle_, op_, a_, b_, d_, d_, pref, 1, &heuristic_, &found);
    (void)cublasLtMatmulPreferenceDestroy(pref);
    if (h != CUBLAS_STATUS_SUCCESS || found == 0)
      return fail("no algorithm for M=" + std::to_string(m_) + " N=" + std::to_string(n_) + " K=" + std::to_string(k_) +
                  " (" + cublasLtGetStatusString(h) + ")");
    planned_ = true;
    return hipfuse::status::success();
  }

  // C = A·B^T with these operands' scales, on `stream` (sizes as planned).
  template <class Args>
  hipfuse::status run(const Args& p, cudaStream_t stream) {
    if (!planned_ || p.m != m_ || p.n != n_ || p.k != k_) return fail("not planned for this size");
    if (!set_scales(p)) return fail("scale pointers");
    const float alpha = 1.0f, beta = 0.0f;
    const cublasStatus_t s = cublasLtMatmul(handle_, op_, &alpha, p.b.ptr, a_, p.a, b_, &beta, p.c, d_, p.c, d_,
                                            &heuristic_.algo, workspace_, workspace_bytes, stream);
    if (s != CUBLAS_STATUS_SUCCESS) return fail(std::string("cublasLtMatmul: ") + cublasLtGetStatusString(s));
    return hipfuse::status::success();
  }

 private:
  static constexpr std::size_t workspace_bytes = std::size_t(32) << 20;

  hipfuse::status fail(const std::string& what) {
    return hipfuse::status::error(hipfuse::status_code::runtime_error, "cuBLASLt blockwise: " + what);
  }
  bool attr(cublasLtMatmulDescAttributes_t which, const void* value, std::size_t size) {
    return cublasLtMatmulDescSetAttribute(op_, which, value, size) == CUBLAS_STATUS_SUCCESS;
  }
  template <class Args>
  bool set_scales(const Args& p) {
    const void* weight_scales = p.b_scale;
    const void* act_scales = p.a_scale.data;
    return attr(CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &weight_scales, sizeof weight_scales) &&
           attr(CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &act_scales, sizeof act_scales);
  }
  void release_plan() {
    if (a_) (void)cublasLtMatrixLayoutDestroy(a_);
    if (b_) (void)cublasLtMatrixLayoutDestroy(b_);
    if (d_) (void)cublasLtMatrixLayoutDestroy(d_);
    if (op_) (void)cublasLtMatmulDescDestroy(op_);
    a_ = b_ = d_ = nullptr;
    op_ = nullptr;
    planned_ = false;
  }

  cublasLtHandle_t handle_ = nullptr;
  void* workspace_ = nullptr;
  bool ok_ = false, planned_ = false;
  int m_ = 0, n_ = 0, k_ = 0;
  cublasLtMatmulDesc_t op_ = nullptr;
  cublasLtMatrixLayout_t a_ = nullptr, b_ = nullptr, d_ = nullptr;
  cublasLtMatmulHeuristicResult_t heuristic_{};
};

}  // namespace hipfuse_bench
#endif
