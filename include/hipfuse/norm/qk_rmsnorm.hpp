// Fused QK RMSNorm on the device: q and k, each with its own weight and eps, normalized in one
// launch, in place or out of place, with independent token strides. Two layouts share one code:
//   DeepSeek MLA absorb-prepare: one [T, 2112] projection output; q = columns 0..1535 (q_a weight),
//     k_nope = columns 1536..2047 (kv_a weight), k_pe = columns 2048..2111 untouched. Each tensor is
//     one head of 1536 / 512 elements whose token stride is 2112.
//   Qwen3-style per-head qk-norm: q [T, Hq, D] and k [T, Hk, D], one weight of D per tensor.
// The rows of q come first, then the rows of k; rmsnorm_rows spreads them over blocks (lane groups
// of a wave for short rows). Host launcher: norm/rmsnorm_launch.hpp (qk_rmsnorm).
#pragma once
#include <cstdint>
#include "rmsnorm.hpp"

namespace hipfuse {

// One of the two tensors: tokens x heads x head_dim, heads contiguous within a token.
template <class T>
struct qk_tensor {
  const T* input = nullptr;
  T* output = nullptr;                 // == input for in place
  std::int64_t input_stride = 0;       // elements between tokens, >= heads * head_dim
  std::int64_t output_stride = 0;
  std::int64_t heads = 1;
  std::int64_t head_dim = 0;
  const T* weight = nullptr;           // head_dim elements, shared by all heads
  float eps = 1e-6f;
  bool gemma = false;                  // multiply by (1 + w) instead of w

  HIPFUSE_HOST_DEVICE row_set<T, T> rows(std::int64_t tokens) const {
    row_set<T, T> s;
    s.input = input;
    s.output = output;
    s.weight = weight;
    s.input_stride = input_stride;
    s.output_stride = output_stride;
    s.rows = tokens * heads;
    s.heads = static_cast<int>(heads);
    s.n = static_cast<int>(head_dim);
    s.eps = eps;
    s.weight_offset = gemma ? 1.0f : 0.0f;
    return s;
  }
};

template <class T>
struct qk_rmsnorm_params {
  std::int64_t tokens = 0;
  qk_tensor<T> q, k;
};

// A block's share of the fused QK norm, for use inside your own kernels: call it with every
// thread of a block of Config::block_threads threads, for block_index in [0, blocks(params)).
// `storage` must be HIPFUSE_SHARED (it is empty when rows fit in a wave). Gemma = false when
// neither tensor sets gemma: the (1 + w) add is then compiled out (one instruction per value).
template <class Policy, class T, class Config, bool Gemma = true>
struct qk_rmsnorm_block {
  using rows_functor = rmsnorm_rows<Policy, T, T, Config, false, Gemma>;
  using storage = typename rows_functor::storage;

  // Row sets are built once per block on the caller's side (see the example): building them here
  // would redo the same integer work in every block.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void operator()(const row_set<T, T>& q_rows, const row_set<T, T>& k_rows,
                                                     std::int64_t block_index, storage& s) const {
    rows_functor{}(q_rows, k_rows, block_index, s);
  }

  static HIPFUSE_HOST_DEVICE std::int64_t blocks(const qk_rmsnorm_params<T>& p) {
    return rows_functor::blocks_for(p.tokens * (p.q.heads + p.k.heads));
  }
};

}  // namespace hipfuse
