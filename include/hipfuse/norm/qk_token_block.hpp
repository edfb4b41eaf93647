// The fused QK RMSNorm with one block per token: q's 16-byte vectors on the block's first
// threads, k's on the next ones, one vector per thread (DeepSeek MLA: 1536 + 512 bf16 values =
// 192 + 64 vectors = one block of 256 threads), or Vecs adjacent vectors per thread (Vecs = 2:
// MLA on 128 threads, twice the bytes in flight per thread).
//
// Why a shape of its own: with q rows and k rows in separate blocks, a token costs two blocks and
// k's block idles most of its threads (64 of 256 vectors). One block per token halves the blocks
// and fills every thread; on the H100 that took MLA at T = 128 from 2.83 to 2.15 µs and at
// T = 4096 from 14.5 to 13.4 µs (docs/rmsnorm.md). q and k each need whole waves (so a wave sums
// only its own tensor), and the two sums share one barrier.
//
//   qk_token_block<Policy, T, BlockThreads, WeightOffset, Vecs>   one token's q and k rows, for use
//       inside your own kernels (every thread of a BlockThreads block calls it)
//   qk_token_kernel<...>                                    the launcher's __global__ wrapper
// Numerics are rmsnorm_row's (norm_detail::normalize); only the order of the partial sums differs.
#pragma once
#include <cstdint>
#include "../kernel.hpp"
#include "../numeric/vec.hpp"
#include "../platform/thread.hpp"
#include "../policy.hpp"
#include "../reduce/block_reduce.hpp"
#include "rmsnorm.hpp"

namespace hipfuse {

// The threads a token of q_n + k_n values (one head each) takes with `vecs` 16-byte vectors per
// thread, when both rows are whole waves of such threads, so that a wave sums only its own
// tensor; 0 otherwise.
template <class Arch, class T>
HIPFUSE_HOST_DEVICE constexpr std::int64_t qk_token_threads(std::int64_t q_n, std::int64_t k_n, int vecs = 1) {
  const std::int64_t lane_n = static_cast<std::int64_t>(elements_per_access<T, Arch::max_vector_bytes>) * vecs;
  const std::int64_t piece = static_cast<std::int64_t>(Arch::wave_size) * lane_n;
  return q_n > 0 && k_n > 0 && q_n % piece == 0 && k_n % piece == 0 ? (q_n + k_n) / lane_n : 0;
}

template <class Policy, class T, int BlockThreads, bool WeightOffset = true, int Vecs = 1>
struct qk_token_block {
  using arch = typename Policy::arch;
  // A thread's values: Vecs adjacent 16-byte vectors.
  static constexpr int vec_n = elements_per_access<T, arch::max_vector_bytes> * Vecs;
  static constexpr int wave = Policy::wave_size;
  static constexpr int block_threads = BlockThreads;
  static_assert(BlockThreads % wave == 0 && BlockThreads <= 1024, "whole waves, at most 1024 threads");
  struct storage {
    float wave_sums[BlockThreads / wave];
  };

  // Rows this block shape takes: one head each, whole waves of vectors each, both within the block.
  static HIPFUSE_HOST_DEVICE constexpr bool fits(std::int64_t q_n, std::int64_t k_n) {
    const std::int64_t threads = qk_token_threads<arch, T>(q_n, k_n, Vecs);
    return threads > 0 && threads <= BlockThreads;
  }

  // One thread's share of a token after the norm: its vector's normalized values, not yet stored.
  // (Here and below a "vector" is the thread's vec_n values.)
  struct piece {
    bool active = false;  // false: a thread beyond q's and k's vectors (it holds nothing)
    bool in_q = false;
    int first = 0;  // the vector's first column in its row
    float y[vec_n];
  };

  // Token `token` of q and k (row sets of one head each whose rows fits(); 16-byte aligned rows,
  // strides and weights), normalized and stored to q.output and k.output. release_dependents: the
  // kernel runs in a chain of programmatic dependent launches (release_dependent_grid is called
  // once the loads are on their way).
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void operator()(const row_set<T, T>& q, const row_set<T, T>& k,
                                                     std::int64_t token, storage& s,
                                                     bool release_dependents = false) const {
    const piece p = normalize(q, k, token, s, release_dependents);
    if (!p.active) return;
    const row_set<T, T>& rows = p.in_q ? q : k;
    norm_detail::store_floats_packed(rows.output + token * rows.output_stride + p.first, p.y);
  }

  // The same up to the store, for callers that store the values their own way (the fused
  // RMSNorm -> FP8 quantizes q's). Every thread of the block calls it (it holds a barrier).
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE piece normalize(const row_set<T, T>& q, const row_set<T, T>& k,
                                                     std::int64_t token, storage& s,
                                                     bool release_dependents = false) const {
    const int tid = platform::thread_rank();
    const int q_threads = q.n / vec_n, k_threads = k.n / vec_n;
    piece p;
    p.in_q = tid < q_threads;
    p.active = tid < q_threads + k_threads;
    p.first = (p.in_q ? tid : tid - q_threads) * vec_n;
    // Field by field (see rmsnorm_rows): no copy of a whole kernel argument.
    // Every thread loads: one past both rows reads k's first vector and discards it. A load under
    // `if (active)` made the weight's registers part of the branch, so each thread waited for its
    // weight before the reduction, and every block asks for the same weight lines at once. Now the
    // weight is first used after the barrier (MLA on the H100: T = 4096 13.60 -> 13.39 µs,
    // T = 65536 183 -> 181 µs).
    const int offset = p.active ? p.first : 0;
    const T* input = (p.in_q ? q.input + token * q.input_stride : k.input + token * k.input_stride) + offset;
    const T* weight = (p.in_q ? q.weight : k.weight) + offset;

    // The weight stays packed across the barrier, the row in fp32 (29 registers, 8 blocks of 256
    // per SM; an earlier form that held both in fp32 took 39 registers and was 15 % slower).
    const vec<T, vec_n> wv = vec<T, vec_n>::load(weight);  // first: it does not depend on the row
    const vec<T, vec_n> xv = vec<T, vec_n>::load(input);
    // The release after the loads are issued (a branch on a kernel argument waits for it, and
    // everything after it too), 1/n while they are in flight (norm_detail::inverse_rms). Both
    // together, MLA on the H100 against the kernel that released first and divided after the
    // barrier: T = 128 2.63 -> 2.55 µs, T = 1024 4.91 -> 4.85; in a PDL chain T = 1 1.44 -> 1.05,
    // T = 128 1.96 -> 1.86 (interleaved samples of one process against fixed reference kernels).
    if (release_dependents) release_dependent_grid();
    // Both loads issued before the row's reduction: without this ptxas issued the weight's after
    // the wave's shuffles, and the fused RMSNorm -> FP8 token kernel waited for it after the
    // barrier (MLA on the H100: T = 4096 12.12 -> 11.51 µs, 11.58 -> 10.91 chained; the QK norm,
    // whose release above held the loads ahead of it, unchanged).
    platform::loads_issued_here();
    const float inv_n = norm_detail::reciprocal_length(p.in_q ? q.n : k.n);
    float x[vec_n];
    to_floats(xv, x);
    float sum_sq = 0.0f;
HIPFUSE_UNROLL
    for (int i = 0; i < vec_n; ++i) sum_sq += x[i] * x[i];
    if (!p.active) sum_sq = 0.0f;
    // Each wave sums its own tensor's values; after one barrier every thread adds its tensor's
    // waves. All waves' sums are read (those of the other tensor count as +0, which changes no
    // sum of squares), so the loads issue together instead of one per loop trip.
    sum_sq = group_sum<Policy, wave>(sum_sq);
    if (tid % wave == 0) s.wave_sums[tid / wave] = sum_sq;
    platform::block_barrier();
    // q's waves for q; for k the waves after them (those past k hold +0: their threads are idle).
    const int q_waves = q_threads / wave;
    float total = 0.0f;
HIPFUSE_UNROLL
    for (int i = 0; i < BlockThreads / wave; ++i) {
      const float part = s.wave_sums[i];
      total += ((i < q_waves) == p.in_q) ? part : 0.0f;
    }
    if (!p.active) return p;
    const float inv_rms = norm_detail::inverse_rms(total, inv_n, p.in_q ? q.eps : k.eps);
    float w[vec_n];
    to_floats(wv, w);
    norm_detail::normalize<WeightOffset>(x, w, inv_rms, p.in_q ? q.weight_offset : k.weight_offset, p.y);
    return p;
  }
};

// The block size the launcher gives a token of q_n + k_n values (one head each) with `vecs`
// vectors per thread, or 0 where the row-per-block shapes serve better: rows that are not whole
// waves of threads, or a token that would leave more than half of the smallest fitting block
// (256 / vecs threads at least) idle.
template <class Arch, class T>
HIPFUSE_HOST_DEVICE constexpr int qk_token_block_threads(std::int64_t q_n, std::int64_t k_n, int vecs = 1) {
  if (Arch::id == arch_id::host) return 0;
  const std::int64_t threads_used = qk_token_threads<Arch, T>(q_n, k_n, vecs);
  if (threads_used == 0) return 0;
  for (int threads = 256 / vecs; threads <= 1024; threads *= 2)
    if (threads_used <= threads) return 2 * threads_used > threads ? threads : 0;
  return 0;
}

// release_dependents: launched in a chain of programmatic dependent launches (release_dependent_grid).
template <class Policy, class T, int BlockThreads, bool WeightOffset, int Vecs = 1>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS(BlockThreads)
    qk_token_kernel(row_set<T, T> q, row_set<T, T> k, bool release_dependents) {
  kernel_body<typename Policy::arch>([&] {
    using functor = qk_token_block<Policy, T, BlockThreads, WeightOffset, Vecs>;
    HIPFUSE_SHARED typename functor::storage storage;
    functor{}(q, k, platform::block_rank_x(), storage, release_dependents);
  });
}

}  // namespace hipfuse
