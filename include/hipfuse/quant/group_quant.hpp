// Per-group FP8 quantization (1 x GroupSize along the row, DeepSeek-V3's "1x128"), as device code:
//
//   group_quantizer<Policy, Lanes, Scale>      one group held in registers by Lanes consecutive
//                                              lanes: amax by shuffles, scale, packed fp8 codes.
//                                              For users' own kernels (quantize what you computed).
//   group_quant_functor<Policy, In, Layout,    a whole [M, K] tensor: each group is read with
//                       Scale, GroupSize>      16-byte loads by a few lanes, codes are stored packed,
//                                              the scale by the group's first lane.
//
// Numerics (docs/quantization.md):
//   amax  = max |x| over the group in fp32; NaN anywhere in the group wins, +-inf counts as FLT_MAX
//   scale = max(amax, eps) / fp8_max                  (fp32, correctly rounded division)
//   UE8M0 scales: scale rounded up to a power of two (numeric/ue8m0.hpp), and that power is used below
//   q     = fp8(x * (1 / scale))                       reciprocal correctly rounded, product in fp32,
//                                                     saturating round-to-nearest-even convert
// So a NaN makes its whole group NaN (scale and codes); an inf saturates to the format's +-max with a finite
// scale; an all-zero group gets scale eps / fp8_max and zero codes.
// The host launcher is in group_quant_launch.hpp, kept apart so this header pulls in no <string>.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>
#include "../config.hpp"
#include "../numeric/bits.hpp"
#include "../numeric/fp8_convert.hpp"
#include "../numeric/half_types.hpp"
#include "../numeric/ue8m0.hpp"
#include "../numeric/vec.hpp"
#include "../platform/thread.hpp"
#include "../policy.hpp"
#include "../reduce/group_reduce.hpp"
#include "scale_layout.hpp"

namespace hipfuse {

// A group's scale as stored, and the factor its values are multiplied by before conversion.
template <class Scale>
struct group_scale {
  Scale value;
  float inverse;
};

// |x| as bits: unsigned order is magnitude order, with NaN above +inf.
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint32_t magnitude_bits(float x) { return float_bits(x) & 0x7FFFFFFFu; }

// The scale of a group whose largest magnitude_bits is amax_bits. Preconditions (checked by the
// launchers): 1 <= fp8_max <= the format's max, eps > 0 and eps / fp8_max a normal float.
template <class Scale>
HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE group_scale<Scale> make_group_scale(std::uint32_t amax_bits, float fp8_max,
                                                                            float eps) {
  static_assert(is_scale_type<Scale>, "a scale is float or ue8m0");
  constexpr std::uint32_t inf_bits = 0x7F800000u, max_finite_bits = 0x7F7FFFFFu;
  // A NaN amax flows through: NaN scale, NaN inverse (the caller writes NaN codes).
  const float amax = float_from_bits(amax_bits == inf_bits ? max_finite_bits : amax_bits);
  const float scale = (amax <= eps ? eps : amax) / fp8_max;
  if constexpr (std::is_same_v<Scale, float>) {
    return {is_nan(scale) ? quiet_nan() : scale, 1.0f / scale};
  } else {
    const ue8m0 rounded = ue8m0_round_up(scale);  // NaN -> 0xFF
    const float power = float_from_bits(static_cast<std::uint32_t>(rounded.bits) << 23);
    return {rounded, 1.0f / (is_nan(scale) ? scale : power)};  // exact: a power of two
  }
}

// Quantizes one group spread over Lanes consecutive lanes of a wave (the group's first lane at a
// multiple of Lanes), each lane holding N of its values. Every lane of the wave must call it;
// lanes without a group pass zeros and ignore the result. Returns the group's scale (every lane
// gets it); codes[i] holds the fp8 codes of x[4i..4i+3], byte j for x[4i+j].
template <class Policy, int Lanes, class Scale = float>
struct group_quantizer {
  static_assert(Lanes >= 1 && (Lanes & (Lanes - 1)) == 0 && Lanes <= Policy::wave_size,
                "a group's lanes are a power of two within one wave (1 on the host platform)");
  using fp8_type = typename Policy::fp8_type;

  float fp8_max = fp8_type::max_finite;
  float eps = 1e-10f;

  // The largest magnitude_bits of this lane's values.
  template <int N>
  static HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE std::uint32_t lane_amax_bits(const float (&x)[N]) {
    std::uint32_t amax_bits = 0;
    for (int i = 0; i < N; ++i) {
      const std::uint32_t m = magnitude_bits(x[i]);
      amax_bits = m > amax_bits ? m : amax_bits;
    }
    return amax_bits;
  }

  template <int N>
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE group_scale<Scale> operator()(const float (&x)[N],
                                                                        std::uint32_t (&codes)[N / 4]) const {
    return quantize(x, lane_amax_bits(x), codes);
  }

  // The same, with this lane's lane_amax_bits(x) already known (a caller holding x as packed
  // 16-bit values finds it in fewer instructions).
  template <int N>
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE group_scale<Scale> quantize(const float (&x)[N], std::uint32_t lane_amax,
                                                                      std::uint32_t (&codes)[N / 4]) const {
    static_assert(N % 4 == 0, "a lane holds a multiple of 4 values (codes are packed 4 per word)");
    const std::uint32_t amax_bits = group_max<Policy, Lanes>(lane_amax);
    const group_scale<Scale> s = make_group_scale<Scale>(amax_bits, fp8_max, eps);
    // A NaN group is written as NaN codes, so the convert never needs its per-value NaN fix-ups
    // (most of the instructions of this memory-bound loop). Out-of-range products saturate: NVIDIA's
    // convert does it by itself; elsewhere q is bounded to the format's range first, which is what
    // the saturating convert would do anyway.
    constexpr float limit = fp8_type::max_finite;
    constexpr bool self_saturating = fp8_convert_saturates_itself<Policy>;
    constexpr fp8_inputs promise = self_saturating ? fp8_inputs::not_nan : fp8_inputs::in_range;
    const float inverse = s.inverse;
    const auto scaled = [inverse](float v) {
      if constexpr (self_saturating) {
        return v * inverse;
      } else {
        return fminf(fmaxf(v * inverse, -limit), limit);
      }
    };
    const bool nan_group = is_nan(inverse);
    constexpr std::uint32_t nan_word = 0x01010101u * fp8_type::nan_code;
    for (int i = 0; i < N / 4; ++i) {
      const std::uint32_t word = convert_to_fp8x4<Policy, fp8_overflow::saturate, promise>(
          scaled(x[4 * i]), scaled(x[4 * i + 1]), scaled(x[4 * i + 2]), scaled(x[4 * i + 3]));
      codes[i] = nan_group ? nan_word : word;
    }
    return s;
  }
};

// Lane geometry for quantizing groups of GroupSize values of type In on Policy's arch: each lane
// reads 16-byte vectors (two for 16-bit inputs) so that a warp instruction covers whole groups.
template <class Policy, class In, int GroupSize>
struct group_quant_geometry {
  using arch = typename Policy::arch;
  static_assert(is_activation_type<In>, "quantization input is float, bfloat16 or float16");
  static_assert(GroupSize == 32 || GroupSize == 64 || GroupSize == 128, "group size is 32, 64 or 128");
  static constexpr int vector_elements = arch::max_vector_bytes / static_cast<int>(sizeof(In));
  // 16 values per lane on a GPU (8 lanes per 128-group of bf16; 2 vector loads each), the whole
  // group on the host platform's single lane.
  static constexpr int elements_per_lane = arch::wave_size == 1 ? GroupSize : (GroupSize < 16 ? GroupSize : 16);
  static constexpr int lanes_per_group = GroupSize / elements_per_lane;
  static constexpr int vectors_per_lane = elements_per_lane / vector_elements;
  static_assert(elements_per_lane % vector_elements == 0 && lanes_per_group <= arch::wave_size,
                "group lanes must fit a wave");
};

template <class Policy, class In, class Layout = scale_layout::row_major, class Scale = float, int GroupSize = 128>
struct group_quant_functor : group_quant_geometry<Policy, In, GroupSize> {
  using geometry = group_quant_geometry<Policy, In, GroupSize>;
  using arch = typename Policy::arch;
  using policy_type = Policy;
  using input_type = In;
  using fp8_type = typename Policy::fp8_type;
  using layout = Layout;
  using scale_type = Scale;
  using scales_type = scale_view<Layout, Scale>;
  using quantizer = group_quantizer<Policy, geometry::lanes_per_group, Scale>;
  static constexpr int group_size = GroupSize;
  static constexpr int block_size = arch::wave_size == 1 ? 1 : 256;
  static constexpr int groups_per_block = block_size / geometry::lanes_per_group;

  // Pointers are device pointers; input rows 16-byte aligned, output rows 16-byte aligned.
  struct params {
    const In* input;
    std::int64_t input_row_stride;  // elements
    fp8_type* output;
    std::int64_t output_row_stride;  // elements (bytes)
    scales_type scales;
    int rows;
    int groups_per_row;  // K / GroupSize; rows * groups_per_row < 2^31
    float fp8_max;
    float eps;
  };

  // Group `group` of row `row`, by its lane `lane` (0 .. lanes_per_group-1). Inactive lanes take
  // part in the shuffles and write nothing; they still read (row, group), so give them a valid one
  // such as (0, 0). All lanes of a group must agree on `active`.
  HIPFUSE_HOST_DEVICE HIPFUSE_FORCEINLINE static void quantize_group(const params& p, int row, int group, int lane,
                                                                     bool active) {
    constexpr int ve = geometry::vector_elements, lanes = geometry::lanes_per_group;
    const std::int64_t column = static_cast<std::int64_t>(group) * GroupSize;
    const In* src = p.input + static_cast<std::int64_t>(row) * p.input_row_stride + column;
    float x[geometry::elements_per_lane];
    for (int v = 0; v < geometry::vectors_per_lane; ++v) {
      // Unconditional, so a lane's loads are all in flight before the first is used.
      float piece[ve];
      to_floats(vec<In, ve>::load(src + (v * lanes + lane) * ve), piece);
      for (int i = 0; i < ve; ++i) x[v * ve + i] = piece[i];
    }
    std::uint32_t codes[geometry::elements_per_lane / 4];
    const group_scale<Scale> s = quantizer{p.fp8_max, p.eps}(x, codes);
    if (!active) return;
    auto* dst =
        reinterpret_cast<std::uint8_t*>(p.output + static_cast<std::int64_t>(row) * p.output_row_stride + column);
    for (int v = 0; v < geometry::vectors_per_lane; ++v) {
      vec<std::uint32_t, ve / 4> words;
      for (int i = 0; i < ve / 4; ++i) words[i] = codes[v * (ve / 4) + i];
      words.store(reinterpret_cast<std::uint32_t*>(dst + (v * lanes + lane) * ve));
    }
    if (lane == 0) {
      p.scales.store(row, group, s.value);
      if (group == p.groups_per_row - 1) p.scales.store_padding(row, p.groups_per_row);
    }
  }

  // This block's share of the tensor: consecutive groups in row-major order, lanes_per_group
  // threads each, striding over the grid. Any block size that is a multiple of lanes_per_group.
  // block_threads: the block size, when the caller knows it at compile time.
  HIPFUSE_DEVICE void operator()(const params& p, int block_threads) const {
    constexpr int lanes = geometry::lanes_per_group;
    const int tid = platform::thread_rank();
    const int lane = tid % lanes;
    const int slots = block_threads / lanes;
    const std::int64_t total = static_cast<std::int64_t>(p.rows) * p.groups_per_row;
    for (std::int64_t first = static_cast<std::int64_t>(platform::block_rank_x()) * slots; first < total;
         first += static_cast<std::int64_t>(platform::grid_size_x()) * slots) {
      const std::int64_t id = first + tid / lanes;
      const bool active = id < total;
      const unsigned flat = active ? static_cast<unsigned>(id) : 0u;
      const unsigned row = flat / static_cast<unsigned>(p.groups_per_row);
      const unsigned group = flat - row * static_cast<unsigned>(p.groups_per_row);
      quantize_group(p, static_cast<int>(row), static_cast<int>(group), lane, active);
    }
  }
  HIPFUSE_DEVICE void operator()(const params& p) const { (*this)(p, platform::block_size()); }
};

}  // namespace hipfuse
