// Shapes shared by the benchmarks; bench/peers.py holds the same lists: keep the two in step.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace hipfuse_bench {

// The comma-separated items of the environment variable `env` ("1,16,128"); none where it is unset.
inline std::vector<std::string> env_items(const char* env) {
  std::vector<std::string> items;
  const char* list = std::getenv(env);
  if (list == nullptr) return items;
  std::string item;
  for (const char* p = list;; ++p) {
    if (*p == ',' || *p == '\0') {
      if (!item.empty()) items.push_back(item);
      item.clear();
      if (*p == '\0') break;
    } else {
      item += *p;
    }
  }
  return items;
}

// The positive integers listed in `env`, or `fallback` where it holds none.
inline std::vector<int> env_int_list(const char* env, std::vector<int> fallback) {
  std::vector<int> out;
  for (const std::string& item : env_items(env)) {
    const long v = std::strtol(item.c_str(), nullptr, 10);
    if (v > 0) out.push_back(static_cast<int>(v));
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
// The N×K shapes listed in `env` ("18432x7168,32768x512"), or `fallback` where it holds none.
inline std::vector<gemm_shape> env_gemm_shapes(const char* env, std::vector<gemm_shape> fallback) {
  std::vector<gemm_shape> out;
  for (const std::string& item : env_items(env)) {
    int n = 0, k = 0;
    if (std::sscanf(item.c_str(), "%dx%d", &n, &k) == 2 && n > 0 && k > 0) out.push_back({n, k});
  }
  return out.empty() ? fallback : out;
}
inline std::vector<int> gemm_ms(bool quick) {
  if (quick) return {16, 4096};
  return {1, 16, 64, 128, 4096, 16384};
}

}  // namespace hipfuse_bench
