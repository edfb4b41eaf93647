// Shapes shared by the benchmarks; bench/peers.py holds the same lists: keep the two in step.
#pragma once
#include <cstdlib>
#include <vector>

namespace hipfuse_bench {

// HIPFUSE_BENCH_TOKENS="1,128,4096" replaces the list (a focused run).
inline std::vector<int> token_counts(bool quick) {
  if (const char* list = std::getenv("HIPFUSE_BENCH_TOKENS")) {
    std::vector<int> tokens;
    for (const char* p = list; *p;) {
      char* end = nullptr;
      const long t = std::strtol(p, &end, 10);
      if (end == p) break;
      if (t > 0) tokens.push_back(static_cast<int>(t));
      p = *end == ',' ? end + 1 : end;
    }
    if (!tokens.empty()) return tokens;
  }
  if (quick) return {1, 1024, 4096};
  return {1, 16, 128, 1024, 4096, 16384, 65536};
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
inline std::vector<int> gemm_ms(bool quick) {
  if (quick) return {16, 4096};
  return {1, 16, 64, 128, 4096, 16384};
}

}  // namespace hipfuse_bench
