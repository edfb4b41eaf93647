// Block-scale GEMM reference, independent of the library: operands arrive as plain doubles
// (decoded by the test with fp8_reference.hpp), the formula is evaluated in float64.
//   C[m][n] = Σ_kb (Σ_{k in kb} A[m][k]·B[n][k]) · sa[m][kb] · sb[n/128][kb] + bias[n]
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

namespace hipfuse_test {

struct gemm_problem {
  int m = 0, n = 0, k = 0;
  std::vector<double> a;     // [m][k]
  std::vector<double> b;     // [n][k]
  std::vector<double> sa;    // [m][k/128]
  std::vector<double> sb;    // [ceil(n/128)][k/128]
  std::vector<double> bias;  // [n] or empty
};

// One element of C from accessors a(m, k), b(n, k), sa(m, kb), sb(n_block, kb) returning doubles,
// for problems too large to evaluate whole.
template <class A, class B, class SA, class SB>
double gemm_reference_element(int m, int n, int k, const A& a, const B& b, const SA& sa, const SB& sb) {
  double total = 0.0;
  for (int kb = 0; kb < k / 128; ++kb) {
    double block = 0.0;
    for (int kk = kb * 128; kk < kb * 128 + 128; ++kk) block += a(m, kk) * b(n, kk);
    total += block * sa(m, kb) * sb(n / 128, kb);
  }
  return total;
}

inline std::vector<double> gemm_reference(const gemm_problem& p) {
  const int kb_count = p.k / 128;
  std::vector<double> c(static_cast<std::size_t>(p.m) * p.n, 0.0);
  for (int m = 0; m < p.m; ++m) {
    for (int n = 0; n < p.n; ++n) {
      double total = 0.0;
      for (int kb = 0; kb < kb_count; ++kb) {
        double block = 0.0;
        for (int k = kb * 128; k < kb * 128 + 128; ++k) {
          block += p.a[static_cast<std::size_t>(m) * p.k + k] * p.b[static_cast<std::size_t>(n) * p.k + k];
        }
        total += block * p.sa[static_cast<std::size_t>(m) * kb_count + kb] *
                 p.sb[static_cast<std::size_t>(n / 128) * kb_count + kb];
      }
      if (!p.bias.empty()) total += p.bias[n];
      c[static_cast<std::size_t>(m) * p.n + n] = total;
    }
  }
  return c;
}

// ‖got − ref‖ / ‖ref‖ (Frobenius); NaN anywhere in got gives NaN, which never passes a <= check.
inline double relative_frobenius_error(const std::vector<double>& got, const std::vector<double>& ref) {
  double diff = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    diff += (got[i] - ref[i]) * (got[i] - ref[i]);
    norm += ref[i] * ref[i];
  }
  return std::sqrt(diff) / std::sqrt(norm);
}

// Plain matmul C[i][j] = Σ_k A[i][k]·B[j][k] for the atom tests.
inline std::vector<double> plain_matmul(const std::vector<double>& a, const std::vector<double>& b, int m, int n,
                                        int k) {
  std::vector<double> c(static_cast<std::size_t>(m) * n, 0.0);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j)
      for (int kk = 0; kk < k; ++kk) c[static_cast<std::size_t>(i) * n + j] += a[i * k + kk] * b[j * k + kk];
  return c;
}

}  // namespace hipfuse_test
