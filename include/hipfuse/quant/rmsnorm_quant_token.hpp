// The fused RMSNorm -> FP8 with one block per token (DeepSeek MLA: q [T, 1536] normalized and
// quantized, k_nope [T, 512] normalized, both from one [T, 2112] projection): the QK norm's token
// block (norm/qk_token_block.hpp) sums and normalizes both rows, then q's lanes quantize their
// values where they lie (quant_piece, rmsnorm_quant.hpp) and k's lanes store theirs.
//
// Why: with q rows and k rows in blocks of their own, each token is read as two separate pieces of
// its row, and k's blocks idle most of their threads; one block reads the token's 4 KiB at once.
// Same numerics as rmsnorm_quant_rows (only the order of the partial sums of squares differs), so
// the codes and scales are those of group_quant applied to the y this launch computes.
//
//   rmsnorm_quant_token_rows<Policy, T, BlockThreads, Layout, Scale, GroupSize, Vecs, ReleaseDependents>
//       a functor for rmsnorm_quant_kernel (rmsnorm_quant.hpp): block b normalizes token b, each
//       thread Vecs adjacent 16-byte vectors; ReleaseDependents: the launch is part of a chain of
//       programmatic dependent launches, and each block releases the next grid first
// Rules (the launcher checks them): q and k rows fit qk_token_block (whole waves of 16-byte
// vectors, one head each); q's groups are whole 16-byte vectors; the same number of q and k rows.
#pragma once
#include <cstdint>
#include "../kernel.hpp"
#include "../norm/qk_token_block.hpp"
#include "rmsnorm_quant.hpp"

namespace hipfuse {

template <class Policy, class T, int BlockThreads, class Layout, class Scale, int GroupSize, int Vecs = 1,
          bool ReleaseDependents = false>
struct rmsnorm_quant_token_rows {
  using norm = qk_token_block<Policy, T, BlockThreads, false, Vecs>;  // no Gemma here: no offset add
  using storage = typename norm::storage;
  using fp8_type = typename Policy::fp8_type;
  using policy_type = Policy;
  using params = rmsnorm_quant_params<T, fp8_type, Layout, Scale, GroupSize>;
  static constexpr int block_threads = BlockThreads;
  static constexpr int vec_n = norm::vec_n;
  // A group's lanes hold consecutive vectors of one wave (q's waves are whole, groups start at
  // multiples of GroupSize), so the group's amax stays a lane-group reduction.
  static_assert(GroupSize % vec_n == 0 && GroupSize / vec_n <= Policy::wave_size,
                "a quantization group must be whole 16-byte vectors within one wave");

  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void operator()(const params& p, std::int64_t token, storage& s) const {
    // The release first here: moved after the loads, as the QK norm's token block does it, this
    // kernel got slower in a PDL chain (MLA on the H100, T = 1 1.42 -> 1.64 µs, T = 1024 4.35 -> 4.63).
    // A compile-time choice: a branch on a kernel argument ahead of the loads held them back until
    // the argument was read (outside a chain, T = 1 / 128: 1.79 / 2.80 -> 1.75 / 2.73 µs).
    if constexpr (ReleaseDependents) release_dependent_grid();
    const typename norm::piece v = norm{}.normalize(p.quantized, p.plain, token, s);
    if (!v.active) return;
    if (v.in_q) {
      T* out = p.quantized.output ? p.quantized.output + token * p.quantized.output_stride : nullptr;
      quant_piece<Policy, T, vec_n, Layout, Scale, GroupSize>::store(p.target(token), v.first, v.y, out);
    } else {
      norm_detail::store_floats_packed(p.plain.output + token * p.plain.output_stride + v.first, v.y);
    }
  }

  static HIPFUSE_HOST_DEVICE constexpr std::int64_t blocks_for(std::int64_t tokens) { return tokens; }
};

}  // namespace hipfuse
