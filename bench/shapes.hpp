// Shapes shared by the benchmarks; bench/peers.py holds the same lists: keep the two in step.
#pragma once
#include <cstdlib>
#include <vector>

namespace hipfuse_bench {

// The positive integers of a comma-separated list in the environment variable `env`
// ("1,16,128"), or `fallback` where it is unset or holds none.
inline std::vector<int> env_int_list(const char* env, std::vector<int> fallback) {
  const char* list = std::getenv(env);
  if (list == nullptr) return fallback;
  std::vector<int> out;
  for (const char* p = list; *p;) {
    char* end = nullptr;
    const long v = std::strtol(p, &end, 10);
    if (end == p) break;
    if (v > 0) out.push_back(static_cast<int>(v));
    p = *end ? end + 1 : end;
  }
  return out.empty() ? fallback : out;
}

// HIPFUSE_BENCH_TOKENS="1,128,4096" replaces the list (a focused run).
inline std::vector<int> token_counts(bool quick) {
  if (quick) return env_int_list("HIPFUSE_BENCH_TOKENS", {1, 1024, 4096});
  return env_int_list("HIPFUSE_BENCH_TOKENS", {1, 16, 128, 1024, 4096, 16384, 65536});
}

// DeepSeek MLA: the fused_qkv_a_proj output row is q (1536) | kv (512) | k_pe (64).
constexpr int mla_q = 1536, mla_k = 512, mla_row = 2112;
// Qwen3 per-head qk-norm: 32 query heads, 8 key/value heads of 128; the qkv row is q | k | v.
constexpr int qwen_heads_q = 32, qwen_heads_kv = 8, qwen_head_dim = 128;
constexpr int qwen_row = (qwen_heads_q + 2 * qwen_heads_kv) * qwen_head_dim;
// DeepSeek-V3 hidden size: the activations quantized before the projections.
constexpr int hidden = 7168;
constexpr int group = 128;
constexpr float rms_eps = 1e-6f;

struct gemm_shape {
  int n, k;
};
inline std::vector<gemm_shape> gemm_shapes(bool quick) {
  if (quick) return {{2112, 7168}, {7168, 2048}};
  return {{2112, 7168}, {24576, 1536}, {32768, 512}, {7168, 16384}, {4096, 7168}, {7168, 2048}};
}
// An N×K list in the environment variable `env` ("18432x7168,32768x512"), or `fallback`.
inline std::vector<gemm_shape> env_gemm_shapes(const char* env, std::vector<gemm_shape> fallback) {
  const char* list = std::getenv(env);
  if (list == nullptr) return fallback;
  std::vector<gemm_shape> out;
  for (const char* p = list; *p;) {
    char* end = nullptr;
    const long n = std::strtol(p, &end, 10);
    if (end == p || *end != 'x') break;
    const long k = std::strtol(end + 1, &end, 10);
    out.push_back({static_cast<int>(n), static_cast<int>(k)});
    p = *end ? end + 1 : end;
  }
  return out.empty() ? fallback : out;
}
inline std::vector<int> gemm_ms(bool quick) {
  if (quick) return {16, 4096};
  return {1, 16, 64, 128, 4096, 16384};
}

}  // namespace hipfuse_bench
