// RMSNorm on the device: y = round(x * rsqrt(mean(x^2) + eps) * (w + weight_offset)), fp32 math,
// optionally after x = x + residual (fp32) with the residual written back rounded to T.
// weight_offset is 0 for the usual norm and 1 for Gemma's (1 + w).
//
// Three layers, each usable inside your own kernels:
//   rmsnorm_row<Policy, T, OutT, Config, Residual>   one row, normalized by Config::row_threads
//       cooperating threads, in two phases: load() returns the inverse RMS, then store() writes
//       y or apply() hands the normalized fp32 values to a callback (a fused quantizer, say).
//   rmsnorm_rows<...>                               a block's share of up to two row sets (e.g.
//       q rows, then k rows) with one or more rows per block.
//   rmsnorm_rows_kernel<...>, rmsnorm_set_kernel<...>   the __global__ wrappers the launchers use
//       (two row sets, or one).
// Host launchers that validate and pick the configuration: norm/rmsnorm_launch.hpp.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>
#include "../kernel.hpp"
#include "../numeric/half_types.hpp"
#include "../numeric/vec.hpp"
#include "../platform/thread.hpp"
#include "../policy.hpp"
#include "../reduce/block_reduce.hpp"

namespace hipfuse {

// How one row is spread over threads:
//   RowThreads     threads that share one row: a lane group inside a wave (a power of two up to the
//                  wave size: shuffles only, no barrier) or the whole block (RowThreads ==
//                  BlockThreads: block_reduce through shared memory).
//   VecsPerThread  16-byte vectors each thread keeps in registers between the sum of squares and
//                  the scaling pass; rows up to RowThreads * VecsPerThread vectors. 0 streams any
//                  row length from memory twice (the second read mostly hits the cache).
//   Vec            elements per access: 16 / sizeof(T) for the vector path, 1 for the scalar
//                  path that accepts any alignment.
//   BlockThreads   threads per block; a block handles BlockThreads / RowThreads rows.
//   PrefetchWeight cached configs only: load the weights with the row and keep them in registers
//                  across the reduction (lowest latency for a few rows), instead of reading them
//                  after the reduction (fewer registers, so more rows in flight per SM: the
//                  better choice once the launch streams megabytes).
template <int RowThreads, int VecsPerThread, int Vec, int BlockThreads, bool PrefetchWeight = false>
struct row_config {
  static_assert(RowThreads >= 1 && (RowThreads & (RowThreads - 1)) == 0, "RowThreads must be a power of two");
  static_assert(BlockThreads % RowThreads == 0, "a block holds a whole number of rows");
  static_assert(VecsPerThread >= 0, "VecsPerThread must be >= 0 (0 streams)");
  static_assert(Vec >= 1 && (Vec & (Vec - 1)) == 0, "Vec must be a power of two");
  static constexpr int row_threads = RowThreads;
  static constexpr int vecs_per_thread = VecsPerThread;
  static constexpr int vec = Vec;
  static constexpr int block_threads = BlockThreads;
  static constexpr int rows_per_block = BlockThreads / RowThreads;
  static constexpr bool cached = VecsPerThread > 0;
  static constexpr bool prefetch_weight = PrefetchWeight && cached;
  // Longest row (in elements) a cached config holds; streaming configs take any length.
  static constexpr std::int64_t max_cached_elements = static_cast<std::int64_t>(RowThreads) * VecsPerThread * Vec;
};

// One row's pointers. input may equal output (in place); residual, when used, is read and then
// overwritten with round_to_T(input + residual).
template <class T, class OutT = T>
struct row_view {
  const T* input = nullptr;
  T* residual = nullptr;
  OutT* output = nullptr;
  const T* weight = nullptr;
  int n = 0;
  float eps = 1e-6f;
  float weight_offset = 0.0f;
};

namespace norm_detail {

HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float inverse_sqrt(float x) {
#if defined(HIPFUSE_DEVICE_PASS)
  return rsqrtf(x);
#else
  return 1.0f / std::sqrt(x);
#endif
}

// 1/n of a row of n values (n <= 0 counts as 1), for inverse_rms: computed before the row's loads
// return, it stays off the path from the loads to the stores. On GPUs the hardware reciprocal
// (within 1 ulp of fp32, like rsqrtf): the correctly rounded one brings a branch to a slow path
// into the kernel's only chain of dependent instructions.
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float reciprocal_length(int n) {
  const float length = static_cast<float>(n > 0 ? n : 1);
#if defined(HIPFUSE_DEVICE_PASS)
  return __fdividef(1.0f, length);
#else
  return 1.0f / length;
#endif
}

// rsqrt(mean(x²) + eps) from the row's sum of squares and 1/n: the one formula of every RMSNorm
// shape. mean = total · (1/n), not total / n: the division's dependent steps sat between the
// reduction and the stores (MLA QK norm at T = 128 on the H100: 0.03 µs for the division, 0.05
// more for its correctly rounded reciprocal). The mean moves by a few ulp of fp32, far below the
// bf16 rounding of the output (tests: float64 references, 1 bf16 ulp).
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE float inverse_rms(float total, float inv_n, float eps) {
  return inverse_sqrt(total * inv_n + eps);
}

// y = x * inv_rms * (w + offset), or x * inv_rms * w when WeightOffset is false: the one formula
// every RMSNorm shape applies (w + 0 would also turn a -0 weight into +0).
template <bool WeightOffset, int N>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE void normalize(const float (&x)[N], const float (&w)[N], float inv_rms,
                                                       float offset, float (&y)[N]) {
  for (int i = 0; i < N; ++i) {
    if constexpr (WeightOffset) {
      y[i] = x[i] * inv_rms * (w[i] + offset);
    } else {
      (void)offset;
      y[i] = x[i] * inv_rms * w[i];
    }
  }
}

template <class T, int N>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void load_floats(const T* p, float (&out)[N]) {
  to_floats(vec<T, N>::load(p), out);
}

// Stores N values as 16-byte (or narrower, when N * sizeof(T) < 16) aligned pieces, so an output
// type wider than the input never needs more than 16-byte alignment.
template <class T, int N>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void store_floats(T* p, const float (&in)[N]) {
  constexpr int piece = (16 / static_cast<int>(sizeof(T))) < N ? 16 / static_cast<int>(sizeof(T)) : N;
HIPFUSE_UNROLL
  for (int base = 0; base < N; base += piece) {
    vec<T, piece> v;
    if constexpr (piece % 2 == 0) {
HIPFUSE_UNROLL
      for (int i = 0; i < piece; i += 2) from_float2<T>(in[base + i], in[base + i + 1], v[i], v[i + 1]);
    } else {
HIPFUSE_UNROLL
      for (int i = 0; i < piece; ++i) v[i] = from_float<T>(in[base + i]);
    }
    v.store(p + base);
  }
}

// store_floats for shapes that hold little per thread: bf16 pairs round by the branch-free packed
// convert (the same bits; to_bfloat16x2 keeps its NaN branch only to stop ptxas from hoisting a
// whole cached row's conversions).
template <class T, int N>
HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void store_floats_packed(T* p, const float (&in)[N]) {
  if constexpr (std::is_same_v<T, bfloat16> && N % 2 == 0 && N * 2 <= 32) {
    vec<std::uint32_t, N / 2> words;
HIPFUSE_UNROLL
    for (int i = 0; i < N / 2; ++i) words[i] = to_bfloat16x2_bits(in[2 * i], in[2 * i + 1]);
    bit_cast<vec<T, N>>(words).store(p);
  } else {
    store_floats(p, in);
  }
}

// Width of the cooperation: a lane group (shuffles) or the block (block_reduce).
template <class Policy, class Config, bool InWave = (Config::row_threads <= Policy::wave_size)>
struct row_sum {
  struct storage {};
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE float sum(float v, storage&) {
    return group_sum<Policy, Config::row_threads>(v);
  }
};
template <class Policy, class Config>
struct row_sum<Policy, Config, false> {
  static_assert(Config::row_threads == Config::block_threads,
                "rows wider than a wave take the whole block: RowThreads must equal BlockThreads");
  using reduce = block_reduce<Policy, Config::block_threads, float>;
  using storage = typename reduce::storage;
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE float sum(float v, storage& s) { return reduce::sum(v, s); }
};

}  // namespace norm_detail

// One row, normalized by Config::row_threads threads; `lane` is the thread's index among them.
// Every thread of the group (of the block, for block-wide rows) calls load() and then store() or
// apply(), also threads whose `active` is false (a row past the end): they contribute nothing and
// write nothing but take part in the reduction.
//
// Precondition for cached configs: row.n <= Config::max_cached_elements. For Vec > 1, input,
// residual, output and weight are 16-byte aligned.
// WeightOffset = false compiles out the row's weight_offset (Gemma's 1 + w), which must then be 0.
template <class Policy, class T, class OutT, class Config, bool Residual = false, bool WeightOffset = true>
class rmsnorm_row {
  static_assert(is_activation_type<T> && is_activation_type<OutT>, "rmsnorm takes float, bfloat16 or float16");
  static constexpr int threads = Config::row_threads;
  static constexpr int vec_n = Config::vec;
  static constexpr int cached_vecs = Config::cached ? Config::vecs_per_thread : 1;
  // Elements past the last whole vector: fewer than Vec, spread over the group.
  static constexpr bool prefetch_weight = Config::prefetch_weight;
  static constexpr int tail_slots = (vec_n - 1 + threads - 1) / threads > 0 ? (vec_n - 1 + threads - 1) / threads : 1;

 public:
  using storage = typename norm_detail::row_sum<Policy, Config>::storage;
  using view = row_view<T, OutT>;

  // Reads the row (adding the residual, and for cached configs writing it back), reduces the sum
  // of squares across the group and returns rsqrt(mean + eps), the same value in every thread.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE float load(const view& row, int lane, bool active, storage& s) {
    const int nvec = row.n / vec_n;
    float sum_sq = 0.0f;
    if constexpr (Config::cached) {
      // Every load is issued before the first use, so the row takes one memory round trip: a
      // load whose result is consumed in the same conditional block waits before the next
      // vector's load is issued (ptxas does not hoist loads across those branches), which made
      // a row of VecsPerThread vectors cost VecsPerThread round trips.
      vec<T, vec_n> r_[Residual ? cached_vecs : 1];
      // Rows of more than two vectors per thread ask for all their weights first: asked for
      // behind each of the row's vectors, they could arrive after the reduction (in the {512, 2}
      // SASS ptxas issued them after the sum of squares; not inspected here). Interleaved on the
      // H100 (same bits), µs before / after: [T, 2048] T = 1024 6.16 / 5.92, T = 4096 16.38 /
      // 15.92; [T, 3072] T = 1024 7.30 / 7.09; [T, 7168] T = 1024 12.35 / 12.29; no case slower
      // by more than 0.1 %, the fused quantizer unchanged. For the wide shapes ({512, 2}) it was
      // 0-1.5 % slower at T <= 128.
      constexpr bool weights_first = prefetch_weight && Config::vecs_per_thread > 2;
      if constexpr (weights_first) {
HIPFUSE_UNROLL
        for (int j = 0; j < cached_vecs; ++j) {
          const int v = j * threads + lane;
          if (active && v < nvec) w_[j] = vec<T, vec_n>::load(row.weight + v * vec_n);
        }
      }
HIPFUSE_UNROLL
      for (int j = 0; j < cached_vecs; ++j) {
        const int v = j * threads + lane;
        if (active && v < nvec) {
          xr_[j] = vec<T, vec_n>::load(row.input + v * vec_n);
          if constexpr (Residual) r_[j] = vec<T, vec_n>::load(row.residual + v * vec_n);
          if constexpr (prefetch_weight && !weights_first) w_[j] = vec<T, vec_n>::load(row.weight + v * vec_n);
        }
      }
      // Under the same condition as the loads: a sum formed unconditionally would let the
      // compiler keep its fp32 conversions of the row alive for apply() (twice the registers).
HIPFUSE_UNROLL
      for (int j = 0; j < cached_vecs; ++j) {
        const int v = j * threads + lane;
        if (active && v < nvec) {
          if constexpr (Residual) {
            float x[vec_n], r[vec_n];
            to_floats(xr_[j], x);
            to_floats(r_[j], r);
HIPFUSE_UNROLL
            for (int i = 0; i < vec_n; ++i) xf_[j][i] = x[i] + r[i];
            norm_detail::store_floats(row.residual + v * vec_n, xf_[j]);
          }
          float x[vec_n];
          held(j, x);
HIPFUSE_UNROLL
          for (int i = 0; i < vec_n; ++i) sum_sq += x[i] * x[i];
        }
      }
HIPFUSE_UNROLL
      for (int t = 0; t < tail_slots; ++t) {
        const int e = nvec * vec_n + t * threads + lane;
        tail_[t] = 0.0f;
        if (active && e < row.n) {
          tail_[t] = read_x1(row, e);
          if constexpr (Residual) row.residual[e] = from_float<T>(tail_[t]);
          sum_sq += tail_[t] * tail_[t];
        }
      }
    } else if (active) {
      // Streaming: nothing is written yet, so the second pass can read the original residual.
      for (int v = lane; v < nvec; v += threads) {
        float x[vec_n];
        read_x(row, v * vec_n, x);
HIPFUSE_UNROLL
        for (int i = 0; i < vec_n; ++i) sum_sq += x[i] * x[i];
      }
      for (int e = nvec * vec_n + lane; e < row.n; e += threads) {
        const float x = read_x1(row, e);
        sum_sq += x * x;
      }
    }
    const float inv_n = norm_detail::reciprocal_length(row.n);  // independent of the loads: fills the reduction's gaps
    const float total = norm_detail::row_sum<Policy, Config>::sum(sum_sq, s);
    return norm_detail::inverse_rms(total, inv_n, row.eps);
  }

  // Calls consume(first_element, const float* y, count) for each piece of the row this thread
  // owns (count is Vec for whole vectors, 1 for tail elements), with y = x * inv_rms * (w + offset)
  // in fp32, not rounded. Streaming configs write the updated residual here.
  template <class Consume>
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void apply(const view& row, int lane, bool active, float inv_rms,
                                                Consume&& consume) {
    if (!active) return;
    const int nvec = row.n / vec_n;
    if constexpr (Config::cached) {
      // Weights not prefetched are read here one vector at a time. Loading them all before the
      // first consume() (the consumer's stores may alias them as far as the compiler knows) was
      // measured slower on H100 for streaming launches: the extra registers cost rows in flight.
HIPFUSE_UNROLL
      for (int j = 0; j < cached_vecs; ++j) {
        const int v = j * threads + lane;
        if (v < nvec) {
          float x[vec_n], w[vec_n], y[vec_n];
          held(j, x);
          if constexpr (prefetch_weight) {
            to_floats(w_[j], w);
          } else {
            norm_detail::load_floats(row.weight + v * vec_n, w);
          }
          scale(row, inv_rms, x, w, y);
          consume(v * vec_n, static_cast<const float*>(y), vec_n);
        }
      }
HIPFUSE_UNROLL
      for (int t = 0; t < tail_slots; ++t) {
        const int e = nvec * vec_n + t * threads + lane;
        if (e < row.n) {
          const float y = scale1(row, e, inv_rms, tail_[t]);
          consume(e, &y, 1);
        }
      }
    } else {
      for (int v = lane; v < nvec; v += threads) {
        float x[vec_n], w[vec_n], y[vec_n];
        read_x(row, v * vec_n, x);
        norm_detail::load_floats(row.weight + v * vec_n, w);
        if constexpr (Residual) norm_detail::store_floats(row.residual + v * vec_n, x);
        scale(row, inv_rms, x, w, y);
        consume(v * vec_n, static_cast<const float*>(y), vec_n);
      }
      for (int e = nvec * vec_n + lane; e < row.n; e += threads) {
        const float x = read_x1(row, e);
        if constexpr (Residual) row.residual[e] = from_float<T>(x);
        const float y = scale1(row, e, inv_rms, x);
        consume(e, &y, 1);
      }
    }
  }

  // Writes y rounded to OutT (one rounding, from fp32).
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void store(const view& row, int lane, bool active, float inv_rms) {
    OutT* out = row.output;
    apply(row, lane, active, inv_rms, [out](int first, const float* y, int count) {
      if (count == vec_n) {
        float piece[vec_n];
HIPFUSE_UNROLL
        for (int i = 0; i < vec_n; ++i) piece[i] = y[i];
        norm_detail::store_floats(out + first, piece);
      } else {
        out[first] = from_float<OutT>(y[0]);
      }
    });
  }

 private:
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void read_x(const view& row, int first, float (&x)[vec_n]) {
    norm_detail::load_floats(row.input + first, x);
    if constexpr (Residual) {
      float r[vec_n];
      norm_detail::load_floats(row.residual + first, r);
HIPFUSE_UNROLL
      for (int i = 0; i < vec_n; ++i) x[i] += r[i];
    }
  }
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE float read_x1(const view& row, int e) {
    float x = to_float(row.input[e]);
    if constexpr (Residual) x += to_float(row.residual[e]);
    return x;
  }
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void scale(const view& row, float inv_rms, const float (&x)[vec_n],
                                                       const float (&w)[vec_n], float (&y)[vec_n]) {
    norm_detail::normalize<WeightOffset>(x, w, inv_rms, row.weight_offset, y);
  }
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE float scale1(const view& row, int e, float inv_rms, float x) {
    const float xs[1] = {x}, ws[1] = {to_float(row.weight[e])};
    float y[1];
    norm_detail::normalize<WeightOffset>(xs, ws, inv_rms, row.weight_offset, y);
    return y[0];
  }

  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void held(int j, float (&x)[vec_n]) const {
    if constexpr (Residual) {
HIPFUSE_UNROLL
      for (int i = 0; i < vec_n; ++i) x[i] = xf_[j][i];
    } else {
      to_floats(xr_[j], x);
    }
  }

  // Without a residual the row stays in its storage type (half the registers of fp32 for 16-bit
  // types); x + residual is not representable in T, so that sum stays in fp32 (xr_ then only
  // holds the loaded input until the sum is formed).
  vec<T, vec_n> xr_[cached_vecs];
  float xf_[Residual ? cached_vecs : 1][vec_n];
  vec<T, vec_n> w_[prefetch_weight ? cached_vecs : 1];
  float tail_[tail_slots];
};

// A set of rows: `tokens` rows of `heads` contiguous heads of `n` elements each (heads = 1 for a
// plain [tokens, n] tensor). Strides count elements between consecutive tokens.
template <class T, class OutT = T>
struct row_set {
  const T* input = nullptr;
  OutT* output = nullptr;
  T* residual = nullptr;  // used only by the Residual kernels
  const T* weight = nullptr;
  std::int64_t input_stride = 0, output_stride = 0, residual_stride = 0;
  std::int64_t rows = 0;  // tokens * heads
  int heads = 1;
  int n = 0;
  float eps = 1e-6f;
  float weight_offset = 0.0f;

  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE row_view<T, OutT> row(std::int64_t r) const {
    // 32-bit division when it suffices: 64-bit division is a long instruction sequence on GPUs.
    const std::int64_t token = heads == 1                                   ? r
                               : r <= 0x7FFFFFFF ? static_cast<std::int64_t>(static_cast<std::uint32_t>(r) /
                                                                             static_cast<std::uint32_t>(heads))
                                                 : r / heads;
    const std::int64_t head_offset = (r - token * heads) * n;
    row_view<T, OutT> v;
    v.input = input + token * input_stride + head_offset;
    v.output = output + token * output_stride + head_offset;
    v.residual = residual ? residual + token * residual_stride + head_offset : nullptr;
    v.weight = weight;
    v.n = n;
    v.eps = eps;
    v.weight_offset = weight_offset;
    return v;
  }
};

// A block's share of two row sets laid end to end (first.rows rows, then second.rows rows; pass
// second.rows = 0 for one set). Block b handles rows [b * rows_per_block, (b + 1) * rows_per_block).
// WeightOffset = false: every row's weight_offset is 0 (no Gemma), and its add is compiled out.
template <class Policy, class T, class OutT, class Config, bool Residual = false, bool WeightOffset = true>
struct rmsnorm_rows {
  using row_functor = rmsnorm_row<Policy, T, OutT, Config, Residual, WeightOffset>;
  using storage = typename row_functor::storage;

  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void operator()(const row_set<T, OutT>& first, const row_set<T, OutT>& second,
                                                     std::int64_t block_index, storage& s) const {
    const std::int64_t r = row_of(block_index);
    const bool in_second = r >= first.rows;
    const std::int64_t local = in_second ? r - first.rows : r;
    const bool active = local < (in_second ? second.rows : first.rows);
    // Field by field: choosing between the two kernel arguments as whole objects takes their
    // address, and AMD compilers then copy them to scratch memory.
    row_set<T, OutT> set;
    set.input = in_second ? second.input : first.input;
    set.output = in_second ? second.output : first.output;
    set.residual = in_second ? second.residual : first.residual;
    set.weight = in_second ? second.weight : first.weight;
    set.input_stride = in_second ? second.input_stride : first.input_stride;
    set.output_stride = in_second ? second.output_stride : first.output_stride;
    set.residual_stride = in_second ? second.residual_stride : first.residual_stride;
    set.heads = in_second ? second.heads : first.heads;
    set.n = in_second ? second.n : first.n;
    set.eps = in_second ? second.eps : first.eps;
    set.weight_offset = in_second ? second.weight_offset : first.weight_offset;
    run(set, local, active, s);
  }

  // One row set (the plain norm): no choice between two sets' fields before the row's address.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void operator()(const row_set<T, OutT>& rows, std::int64_t block_index,
                                                     storage& s) const {
    const std::int64_t r = row_of(block_index);
    run(rows, r, r < rows.rows, s);
  }

  static HIPFUSE_HOST_DEVICE constexpr std::int64_t blocks_for(std::int64_t rows) {
    return (rows + Config::rows_per_block - 1) / Config::rows_per_block;
  }

 private:
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::int64_t row_of(std::int64_t block_index) {
    return block_index * Config::rows_per_block +
           (Config::rows_per_block == 1 ? 0 : platform::thread_rank() / Config::row_threads);
  }

  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void run(const row_set<T, OutT>& set, std::int64_t local, bool active,
                                                     storage& s) {
    const int lane = platform::thread_rank() % Config::row_threads;
    row_functor f;
    if constexpr (Config::rows_per_block == 1) {
      // The block's one row: past the last one the whole block leaves together (no thread waits at
      // the reduction's barrier), and the row is then known to be there. The per-thread `active`
      // tests and the select of an empty view sat between the row's address and its loads.
      // Interleaved on the H100 against the per-thread form (same bits), µs new / old: [T, 7168]
      // T = 1 / 16 / 128 2.16 / 2.32, 2.43 / 2.63, 3.83 / 4.03; with a residual 2.56 / 2.81,
      // 3.35 / 3.60, 5.17 / 5.42; [T, 2048] T = 1 1.84 / 1.99, T = 4096 16.46 / 18.42.
      if (!active) return;
      const row_view<T, OutT> row = set.row(local);
      const float inv_rms = f.load(row, lane, true, s);
      f.store(row, lane, true, inv_rms);
    } else {
      const row_view<T, OutT> row = active ? set.row(local) : row_view<T, OutT>{};
      const float inv_rms = f.load(row, lane, active, s);
      f.store(row, lane, active, inv_rms);
    }
  }
};

// The configurations the launchers choose from, shortest rows first; the first whose cached
// capacity holds the row wins, and the last streams. Short rows take a lane group (no barrier,
// several rows per block); a row up to 6 vectors per lane stays within one wave; longer rows take a
// block. On the host a "thread" is the whole block, so its tiers only differ in capacity.
//
// Each tier has three shapes that hold at least the same rows, one per kind of launch:
//   streaming  launches that move megabytes: weights read after the reduction (fewer registers,
//              more rows in flight per SM);
//   latency    up to a few thousand rows: weights prefetched with the row, small blocks, so the
//              rows spread over more SMs;
//   wide       a few hundred rows at most (decode): each row spread over a whole block, one or two
//              vectors per thread, weights prefetched, so a row costs one short memory round trip
//              (tiers whose rows already take at most two vectors per lane keep the latency shape).
// The launchers pick the kind from the launch's rows and elements (pick_row_launch).
struct row_shape {
  int row_threads, vecs_per_thread, block_threads;
};

enum class row_launch { streaming, latency, wide };

template <class Arch>
inline constexpr int row_tier_count = Arch::id == arch_id::host ? 4 : 8;

namespace norm_detail {
HIPFUSE_HOST_DEVICE constexpr int next_power_of_two(int n) {
  int p = 1;
  while (p < n) p *= 2;
  return p;
}
// The block-wide shape holding `vectors` vectors per row: one per thread up to 256 threads, else
// two per thread (the block's barrier gets slower with more waves than that: on H100 a 7168-row
// took 2.44 µs as {512, 2}, 2.99 µs as {1024, 1}).
HIPFUSE_HOST_DEVICE constexpr row_shape wide_shape(int vectors) {
  if (vectors <= 256) {
    const int threads = next_power_of_two(vectors);
    return {threads, 1, threads};
  }
  const int threads = next_power_of_two((vectors + 1) / 2);
  return {threads, 2, threads};
}
}  // namespace norm_detail

template <class Arch>
HIPFUSE_HOST_DEVICE constexpr row_shape row_tier_shape(int tier, row_launch kind = row_launch::streaming) {
  if constexpr (Arch::id == arch_id::host) {
    constexpr row_shape tiers[] = {{1, 8, 1}, {1, 64, 1}, {1, 1024, 1}, {1, 0, 1}};
    (void)kind;
    return tiers[tier];
  } else {
    constexpr int w = Arch::wave_size;
    // Measured on H100 (bench/sweep_rmsnorm, bf16; docs/rmsnorm.md): the block tier streams [T, 7168]
    // as {256, 4} at 100 % of the copy bandwidth ({128, 8}: 99 %, {512, 2}: 96 % at T = 65536) and
    // runs the fused quantizer as fast as {128, 7}, the best of the others. The latency shapes
    // prefetch the weights with the row; two-wave blocks for wave rows and 256 threads per
    // 7168-row were the fastest from about a thousand rows up, and an MLA q row (tier 4) over the
    // two waves of its block ({2W, 3}): 5.3 vs 5.9 µs for the QK norm at T = 1024, 14.6 vs 18.1 µs
    // for the fused MLA quantizer at T = 4096.
    constexpr row_shape tiers[] = {{8, 1, 256}, {16, 1, 256},  {w, 2, 256},   {w, 4, 256},
                                   {w, 6, 256}, {256, 4, 256}, {512, 4, 512}, {512, 0, 512}};
    constexpr row_shape latency_tiers[] = {{8, 1, 2 * w}, {16, 1, 2 * w},  {w, 2, 2 * w},   {w, 4, 2 * w},
                                           {2 * w, 3, 2 * w}, {256, 4, 256}, {512, 4, 512}, {512, 0, 512}};
    const row_shape latency = latency_tiers[tier];
    if (kind == row_launch::streaming) return tiers[tier];
    if (kind == row_launch::latency || latency.vecs_per_thread <= 2) return latency;
    return norm_detail::wide_shape(latency.row_threads * latency.vecs_per_thread);
  }
}

template <class Arch, class T, int Tier, row_launch Kind = row_launch::streaming>
using row_tier_config =
    row_config<row_tier_shape<Arch>(Tier, Kind).row_threads, row_tier_shape<Arch>(Tier, Kind).vecs_per_thread,
               elements_per_access<T, Arch::max_vector_bytes>, row_tier_shape<Arch>(Tier, Kind).block_threads,
               Kind != row_launch::streaming && (row_tier_shape<Arch>(Tier, Kind).vecs_per_thread > 0)>;

namespace norm_detail {
// Every shape of a tier holds at least the streaming shape's rows (the launchers pick the tier by
// that capacity); a block-wide row always takes the whole block.
template <class Arch>
HIPFUSE_HOST_DEVICE constexpr bool tier_shapes_hold_their_rows() {
  for (int t = 0; t < row_tier_count<Arch>; ++t) {
    const row_shape a = row_tier_shape<Arch>(t);
    for (row_launch kind : {row_launch::latency, row_launch::wide}) {
      const row_shape b = row_tier_shape<Arch>(t, kind);
      if (b.row_threads * b.vecs_per_thread < a.row_threads * a.vecs_per_thread) return false;
      if ((a.vecs_per_thread == 0) != (b.vecs_per_thread == 0)) return false;
      if (b.row_threads > Arch::wave_size && b.row_threads != b.block_threads) return false;
    }
  }
  return true;
}
static_assert(tier_shapes_hold_their_rows<arch::sm90>() && tier_shapes_hold_their_rows<arch::gfx942>(),
              "every shape of a tier must hold the tier's rows");
}  // namespace norm_detail

// The kind of launch (see row_tier_shape), measured on H100 (bench/sweep_rmsnorm, docs/rmsnorm.md):
//   wide below wide_rows_at_most rows: MLA T = 128 (256 rows) 2.82 µs wide vs 3.72 latency; at
//     T = 1024 (2048 rows) wide lost (6.7 vs 5.9 µs); [T, 7168] T = 128 4.08 vs 4.30, T = 1024 lost.
//   The plain norm's block-wide rows are wide only up to norm_wide_rows_at_most: once a block
//     leaves as a whole past the last row, [T, 7168] T = 512 took 8.53 µs wide (512 blocks of 512
//     threads, two waves) vs 7.40 latency; [T, 5120] 7.10 vs 5.91; [T, 2048] 5.01 vs 4.01; at 384
//     rows wide still won (7168: 5.92 vs 6.20). With a residual wide kept a small lead at 512 rows
//     (7168: 12.56 vs 12.93, 2048: 5.96 vs 6.06); one bound for both costs that 2-3 %.
//   latency below prefetch_weight_below_elements: the norm prefetches up to MLA T = 16384 (34M
//     elements: 48.8 vs 50.2 µs) and [T, 7168] T = 4096 (29M) and streams from MLA T = 65536
//     (134M). Block-wide rows of the plain norm ([T, 7168]) prefetch at every size (619 vs 626 µs
//     at T = 65536): their weights are a small part of the row's registers.
//   The fused quantizer (row_op::fused_quant) prefetches only below fused_prefetch_below_elements
//     and never for block-wide rows outside wide launches: its packed rounding leaves ptxas free to
//     schedule a whole row at once, and the prefetching shapes then lose occupancy ([T, 7168]
//     T = 4096: 73.7 µs prefetching vs 40.2 streaming; MLA T = 1024: 6.1 vs 7.7 the other way).
//   Block-wide rows of the fused quantizer in paired vectors (row_op::fused_quant_paired, two
//     16-byte vectors per lane and group piece: half the vectors per thread) prefetch below
//     paired_prefetch_below_elements, and without a residual they are wide only up to
//     paired_block_wide_rows_at_most rows. Interleaved on the H100 against the previous pick (wide
//     up to 512 rows, then streaming), µs, new / old: [T, 7168] T = 320 5.61 / 6.37, 1024 10.71 /
//     12.57, 4096 33.00 / 34.37, 8192 62.80 / 62.89; [T, 4096] T = 512 4.86 / 6.15, 4096 22.70 /
//     22.26, 8192 42.33 / 40.70 (so streaming from 2^25 elements); [T, 5120] T = 1024 8.83 / 10.07.
//     With a residual, [T, 7168] T = 320 / 512 took 9.35 / 12.77 prefetching against 8.76 / 11.98
//     wide (so wide up to 512 rows there), and T = 1024 / 4096 21.86 / 73.44 against 24.52 / 79.58.
//     The AMD targets take the same rule (their rows pair from 1024 columns); not measured there.
inline constexpr std::int64_t wide_rows_at_most = 512;
inline constexpr std::int64_t norm_wide_rows_at_most = 384;
inline constexpr std::int64_t paired_block_wide_rows_at_most = 256;
inline constexpr std::int64_t prefetch_weight_below_elements = std::int64_t(1) << 26;
inline constexpr std::int64_t paired_prefetch_below_elements = std::int64_t(1) << 25;
inline constexpr std::int64_t fused_prefetch_below_elements = std::int64_t(1) << 22;

// Which op the rows feed: the plain norm, or the fused norm -> fp8 quantizer, in paired vectors
// (see paired_row_config in quant/rmsnorm_quant_launch.hpp) with or without a residual, or not.
enum class row_op { norm, fused_quant, fused_quant_paired, fused_quant_paired_residual };

template <class Arch>
HIPFUSE_HOST_DEVICE constexpr row_launch pick_row_launch(int tier, std::int64_t rows, std::int64_t elements,
                                                         row_op op = row_op::norm) {
  const row_shape s = row_tier_shape<Arch>(tier);
  const bool block_rows = s.row_threads > Arch::wave_size && s.vecs_per_thread > 0;
  const bool paired_block_rows =
      block_rows && (op == row_op::fused_quant_paired || op == row_op::fused_quant_paired_residual);
  const bool narrow_wide = paired_block_rows && op == row_op::fused_quant_paired;
  const std::int64_t wide_at_most = narrow_wide                          ? paired_block_wide_rows_at_most
                                    : block_rows && op == row_op::norm ? norm_wide_rows_at_most
                                                                       : wide_rows_at_most;
  if (rows <= wide_at_most) return row_launch::wide;
  if (op == row_op::norm)
    return block_rows || elements < prefetch_weight_below_elements ? row_launch::latency : row_launch::streaming;
  if (paired_block_rows) return elements < paired_prefetch_below_elements ? row_launch::latency : row_launch::streaming;
  return !block_rows && elements < fused_prefetch_below_elements ? row_launch::latency : row_launch::streaming;
}

// Any alignment, any length: one element per access, a wave per row, streaming.
template <class Arch>
using row_scalar_config =
    row_config<Arch::wave_size, 0, 1, (Arch::id == arch_id::host ? 1 : (Arch::wave_size > 256 ? Arch::wave_size : 256))>;

// The configuration the launchers use for rows of up to max_elements (vector path): usable at
// compile time by kernels that call the functors themselves.
namespace norm_detail {
template <class C>
struct type_is {
  using type = C;
};
}  // namespace norm_detail

template <class Arch, class T, std::int64_t MaxElements, int Tier = 0, bool Last = (Tier + 1 >= row_tier_count<Arch>)>
struct fitted_row_config {
  using type = row_tier_config<Arch, T, Tier>;
};
template <class Arch, class T, std::int64_t MaxElements, int Tier>
struct fitted_row_config<Arch, T, MaxElements, Tier, false> {
  using type = typename std::conditional_t<(MaxElements <= row_tier_config<Arch, T, Tier>::max_cached_elements),
                                           norm_detail::type_is<row_tier_config<Arch, T, Tier>>,
                                           fitted_row_config<Arch, T, MaxElements, Tier + 1>>::type;
};

template <class Policy, class T, class OutT, class Config, bool Residual, bool WeightOffset = true>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS(Config::block_threads)
    rmsnorm_rows_kernel(row_set<T, OutT> first, row_set<T, OutT> second) {
  kernel_body<typename Policy::arch>([&] {
    using functor = rmsnorm_rows<Policy, T, OutT, Config, Residual, WeightOffset>;
    HIPFUSE_SHARED typename functor::storage storage;
    functor{}(first, second, platform::block_rank_x(), storage);
  });
}

// One row set: half the kernel arguments of the two-set kernel, and no per-field choice between
// two sets before the row's address. Interleaved on the H100 against the two-set kernel (same
// bits), µs: [T, 7168] T = 1 / 16 2.15 → 2.08, 2.43 → 2.38, with a residual 2.54 → 2.49, 3.34 →
// 3.27; [T, 2048] T = 1 / 128 1.83 → 1.78, 2.84 → 2.78; [T, 4096] with a residual T = 16 2.32 →
// 2.21; from T = 1024 within 1 % (geometric mean 0.984 over 30 cases).
template <class Policy, class T, class OutT, class Config, bool Residual, bool WeightOffset = true>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS(Config::block_threads) rmsnorm_set_kernel(row_set<T, OutT> rows) {
  kernel_body<typename Policy::arch>([&] {
    using functor = rmsnorm_rows<Policy, T, OutT, Config, Residual, WeightOffset>;
    HIPFUSE_SHARED typename functor::storage storage;
    functor{}(rows, platform::block_rank_x(), storage);
  });
}

}  // namespace hipfuse
