// Host atom: the "matrix instruction" of the host platform, where a wave is one lane wide. The one
// lane holds the whole 16×16×32 tile, row-major, so the generic pipeline runs unchanged on the CPU
// and tests can step through it. Its model is also its instruction.
#pragma once
#include "../numeric/fp8.hpp"
#include "../platform/trap.hpp"
#include "atom.hpp"

namespace hipfuse {
namespace gemm {

template <class Fp8>
struct atom_host {
  using fp8_type = Fp8;
  static constexpr const char* name = "host 16x16x32 (one lane)";
  static constexpr int m = 16, n = 16, k = 32, lanes = 1;
  static constexpr int a_per_lane = m * k, b_per_lane = n * k, c_per_lane = m * n;
  static constexpr int a_run = k, b_run = k;
  static constexpr bool scaled = false;
  using a_fragment = fp8_fragment<a_per_lane>;
  using b_fragment = fp8_fragment<b_per_lane>;
  using c_fragment = accumulator_fragment<c_per_lane>;

  HIPFUSE_HOST_DEVICE static constexpr row_k a_coord(int /*lane*/, int i) { return {i / k, i % k}; }
  HIPFUSE_HOST_DEVICE static constexpr row_k b_coord(int /*lane*/, int i) { return {i / k, i % k}; }
  HIPFUSE_HOST_DEVICE static constexpr row_col c_coord(int /*lane*/, int i) { return {i / n, i % n}; }

  // D[i][j] = C[i][j] + Σ_k A[i][k]·B[j][k], fp32, k ascending.
  static void model(const a_fragment* a, const b_fragment* b, c_fragment* c) {
    for (int i = 0; i < m; ++i) {
      for (int j = 0; j < n; ++j) {
        float sum = 0.0f;
        for (int kk = 0; kk < k; ++kk) {
          sum += fp8_to_float(Fp8{a[0].byte(i * k + kk)}) * fp8_to_float(Fp8{b[0].byte(j * k + kk)});
        }
        c[0].value[i * n + j] += sum;
      }
    }
  }

  HIPFUSE_HOST_DEVICE static void mma(c_fragment& c, const a_fragment& a, const b_fragment& b) {
#if defined(HIPFUSE_DEVICE_PASS)
    (void)c, (void)a, (void)b;
    platform::trap("atom_host runs only on the host platform");
#else
    model(&a, &b, &c);
#endif
  }
};

}  // namespace gemm
}  // namespace hipfuse
