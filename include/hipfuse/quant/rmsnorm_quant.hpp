// Fused RMSNorm -> per-group FP8 quantization on the device, built on the RMSNorm row functor
// (norm/rmsnorm.hpp): load() reduces the sum of squares, apply() hands each thread its normalized
// fp32 values, and here each group of them is quantized where it lies.
//
// y = round_to_T(x * rsqrt(mean(x^2) + eps) * w) exactly as rmsnorm writes it, then y goes through
// group_quant's numerics. So the codes and scales are bit-identical to rmsnorm() followed by
// group_quant() on its output, with one read of x instead of three tensor passes.
// There is no Gemma (1 + w) form: the row sets' weight_offset is not applied.
//
//   rmsnorm_quant_row<Policy, T, Config, Layout, Scale, GroupSize, Residual>   one row
//   rmsnorm_quant_rows<...>   a block's rows of the quantized tensor, then of an optional second
//                             tensor that is only normalized (DeepSeek MLA: q quantized, k_nope bf16)
//   quant_piece<...>          one lane's normalized values rounded, quantized and stored
// One block per token of q and k: rmsnorm_quant_token.hpp. Host launcher: rmsnorm_quant_launch.hpp.
#pragma once
#include <cstdint>
#include <type_traits>
#include "../norm/rmsnorm.hpp"
#include "group_quant.hpp"

namespace hipfuse {

// Where one row's codes and scales go.
template <class Fp8, class Layout, class Scale>
struct quant_row_target {
  Fp8* codes = nullptr;  // the row's first code
  scale_view<Layout, Scale> scales;
  int row = 0;  // the row in `scales` (0 when the view already starts at the row, as the kernels set it)
  int groups = 0;
  float fp8_max = Fp8::max_finite;
  float eps = 1e-10f;
};

// One lane's piece of normalized values, vec_n of them starting at column `first` of a group of
// GroupSize (the group's GroupSize / vec_n lanes call it together, in one wave): y rounded to T
// (and stored to `out` when it is not null), the group's amax over the rounded values, codes and,
// from the group's first lane, the scale.
template <class Policy, class T, int N, class Layout, class Scale, int GroupSize>
struct quant_piece {
  using fp8_type = typename Policy::fp8_type;
  using target = quant_row_target<fp8_type, Layout, Scale>;
  static constexpr int group_lanes = GroupSize / N;
  static_assert(GroupSize % N == 0 && N % 4 == 0, "a piece is a whole number of 4-code words within a group");

  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void store(const target& t, int first, const float* y, T* out) {
    float v[N];
    vec<T, N> rounded;
    round_piece(y, rounded, v);
    if (out) rounded.store(out + first);
    std::uint32_t codes[N / 4];
    const group_scale<Scale> s =
        group_quantizer<Policy, group_lanes, Scale>{t.fp8_max, t.eps}.quantize(v, lane_amax_bits(rounded, v), codes);
    vec<std::uint32_t, N / 4> words;
    for (int i = 0; i < N / 4; ++i) words[i] = codes[i];
    words.store(reinterpret_cast<std::uint32_t*>(t.codes + first));
    if (first % GroupSize == 0) store_scale(t, first / GroupSize, s.value);
  }

  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void store_scale(const target& t, int group, Scale value) {
    t.scales.store(t.row, group, value);
    if (group == t.groups - 1) t.scales.store_padding(t.row, t.groups);
  }

 private:
  // y rounded to T (what rmsnorm would store) and back to float. bf16 pairs stay packed in one
  // word each: the rounding is one instruction per pair and the float of each half one more.
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void round_piece(const float* y, vec<T, N>& rounded, float (&v)[N]) {
    if constexpr (std::is_same_v<T, bfloat16>) {
      vec<std::uint32_t, N / 2> words;
      for (int i = 0; i < N; i += 2) {
        const std::uint32_t w = to_bfloat16x2_bits(y[i], y[i + 1]);
        words[i / 2] = w;
        v[i] = float_from_bits(w << 16);
        v[i + 1] = float_from_bits(w & 0xFFFF0000u);
      }
      rounded = bit_cast<vec<T, N>>(words);
    } else {
      for (int i = 0; i < N; i += 2) {
        from_float2<T>(y[i], y[i + 1], rounded[i], rounded[i + 1]);
        v[i] = to_float(rounded[i]);
        v[i + 1] = to_float(rounded[i + 1]);
      }
    }
  }

  // The largest magnitude_bits of this lane's rounded values. A bf16's float bits are its own bits
  // shifted up 16, so bf16 pairs are compared two at a time in their packed form (the quantizer is
  // issue-bound: every instruction saved per value counts).
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE std::uint32_t lane_amax_bits(const vec<T, N>& rounded, const float (&v)[N]) {
    if constexpr (std::is_same_v<T, bfloat16>) {
      const auto words = bit_cast<vec<std::uint32_t, N / 2>>(rounded);
      std::uint32_t m = 0;
      for (int i = 0; i < N / 2; ++i) m = max_u16x2(m, words[i] & 0x7FFF7FFFu);
      const std::uint32_t lo = m & 0xFFFFu, hi = m >> 16;
      return (lo > hi ? lo : hi) << 16;
    } else {
      return group_quantizer<Policy, group_lanes, Scale>::lane_amax_bits(v);
    }
  }
};

// One row. On a GPU Config::row_threads must be at least GroupSize / Config::vec (the lanes that
// hold one group) and every lane of the wave must reach each group together: the launcher takes
// row_threads >= wave size and n a multiple of wave size * Config::vec. On the host platform one
// thread walks the row and gathers each group before quantizing it.
// row.output, when not null, also receives y (the unquantized normalized row).
template <class Policy, class T, class Config, class Layout, class Scale, int GroupSize, bool Residual = false>
struct rmsnorm_quant_row {
  using norm = rmsnorm_row<Policy, T, T, Config, Residual, false>;  // no Gemma here: no offset add
  using storage = typename norm::storage;
  using fp8_type = typename Policy::fp8_type;
  using target = quant_row_target<fp8_type, Layout, Scale>;
  static constexpr int vec_n = Config::vec;
  static constexpr int group_lanes = GroupSize / vec_n;
  static constexpr bool serial = Config::row_threads == 1;
  static_assert(GroupSize % vec_n == 0 && vec_n % 4 == 0, "fused quantization needs the vector path");
  static_assert(serial || Config::row_threads >= group_lanes, "a group's lanes must lie within the row's threads");

  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void operator()(const row_view<T, T>& row, const target& t, int lane, bool active,
                                                     storage& s) const {
    norm f;
    const float inv_rms = f.load(row, lane, active, s);
    T* out = row.output;
    if constexpr (serial) {
      float group[GroupSize];
      f.apply(row, lane, active, inv_rms, [&](int first, const float* y, int count) {
        for (int i = 0; i < count; ++i) {
          const T rounded = from_float<T>(y[i]);
          if (out) out[first + i] = rounded;
          group[(first + i) % GroupSize] = to_float(rounded);
        }
        if ((first + count) % GroupSize == 0) store_group(t, (first + count) / GroupSize - 1, group);
      });
    } else {
      f.apply(row, lane, active, inv_rms, [t, out](int first, const float* y, int count) {
        if (count != vec_n) return;  // no tails: n is a multiple of the group size
        piece::store(t, first, y, out);
      });
    }
  }

 private:
  using piece = quant_piece<Policy, T, vec_n, Layout, Scale, GroupSize>;

  // Host: a whole group gathered by the single thread.
  static HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void store_group(const target& t, int group, const float (&v)[GroupSize]) {
    std::uint32_t codes[GroupSize / 4];
    const group_scale<Scale> s = group_quantizer<Policy, 1, Scale>{t.fp8_max, t.eps}(v, codes);
    auto* dst = reinterpret_cast<std::uint32_t*>(t.codes + group * GroupSize);
    for (int i = 0; i < GroupSize / 4; ++i) dst[i] = codes[i];
    piece::store_scale(t, group, s.value);
  }
};

// The launch's arguments, shared by the row-per-thread-group functor below and the one-block-per-
// token one (rmsnorm_quant_token.hpp).
template <class T, class Fp8, class Layout, class Scale, int GroupSize>
struct rmsnorm_quant_params {
  row_set<T, T> quantized;  // output may be null (no unquantized copy); heads = 1
  Fp8* codes;
  std::int64_t code_stride;
  scale_view<Layout, Scale> scales;
  float fp8_max;
  float quant_eps;
  row_set<T, T> plain;      // rows = 0 when there is none

  // Where row r's codes and scales go. The view starts at the row's first scale (every layout's
  // offset is linear in the row), so the per-group stores need no row arithmetic.
  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE quant_row_target<Fp8, Layout, Scale> target(std::int64_t r) const {
    quant_row_target<Fp8, Layout, Scale> t;
    t.codes = codes + r * code_stride;
    t.scales = scales;
    t.scales.data += Layout::offset(r, 0, scales.stride);
    t.row = 0;
    t.groups = quantized.n / GroupSize;
    t.fp8_max = fp8_max;
    t.eps = quant_eps;
    return t;
  }
};

template <class Policy, class T, class Config, class Layout, class Scale, int GroupSize, bool Residual = false>
struct rmsnorm_quant_rows {
  using quant_row = rmsnorm_quant_row<Policy, T, Config, Layout, Scale, GroupSize, Residual>;
  using plain_row = rmsnorm_row<Policy, T, T, Config, false, false>;
  using storage = typename quant_row::storage;
  using fp8_type = typename Policy::fp8_type;
  using policy_type = Policy;
  using params = rmsnorm_quant_params<T, fp8_type, Layout, Scale, GroupSize>;
  static constexpr int block_threads = Config::block_threads;

  HIPFUSE_DEVICE HIPFUSE_FORCEINLINE void operator()(const params& p, std::int64_t block_index, storage& s) const {
    const int tid = platform::thread_rank();
    const int lane = tid % Config::row_threads;
    const std::int64_t r = block_index * Config::rows_per_block + tid / Config::row_threads;
    if (r < p.quantized.rows) {
      row_view<T, T> row = p.quantized.row(r);
      if (p.quantized.output == nullptr) row.output = nullptr;
      quant_row{}(row, p.target(r), lane, true, s);
    } else {
      const std::int64_t local = r - p.quantized.rows;
      const bool active = local < p.plain.rows;
      const row_view<T, T> row = active ? p.plain.row(local) : row_view<T, T>{};
      plain_row f;
      const float inv_rms = f.load(row, lane, active, s);
      f.store(row, lane, active, inv_rms);
    }
  }

  static HIPFUSE_HOST_DEVICE constexpr std::int64_t blocks_for(std::int64_t rows) {
    return (rows + Config::rows_per_block - 1) / Config::rows_per_block;
  }
};

template <class Functor>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS(Functor::block_threads)
    rmsnorm_quant_kernel(const typename Functor::params p) {
  kernel_body<typename Functor::policy_type::arch>([&] {
    HIPFUSE_SHARED typename Functor::storage storage;
    Functor{}(p, platform::block_rank_x(), storage);
  });
}

}  // namespace hipfuse
