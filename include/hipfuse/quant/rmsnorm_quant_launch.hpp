// Host launcher for the fused RMSNorm -> per-group FP8 quantization (device code: rmsnorm_quant.hpp).
//
// One launch normalizes `rows` rows of `input` (optionally after adding and updating `residual`),
// writes their fp8 codes and scales (and, when `output` is set, the normalized values), and
// normalizes an optional second tensor without quantizing it. DeepSeek MLA on gfx950 (sglang's
// fused_rms_fp8_group_quant): first = q_c [T, 1536], second = k_nope [T, 512], k stays bf16.
// Before a linear layer: first = hidden states [T, 7168] with the residual, no second tensor.
//
// Rules: cols is a multiple of the group size and, on a GPU, of wave size * 16 bytes / sizeof(T)
// (256 bf16 values on NVIDIA, 512 on AMD: 1536, 512 and 7168 all are); every pointer and row
// stride 16-byte aligned. Codes and scales are bit-identical to rmsnorm() then group_quant().
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>
#include "../norm/rmsnorm_launch.hpp"
#include "group_quant_launch.hpp"
#include "rmsnorm_quant.hpp"
#include "rmsnorm_quant_token.hpp"

namespace hipfuse {

// A tensor that is only normalized (k_nope). rows = 0: none.
template <class T>
struct norm_tensor {
  const T* input = nullptr;
  std::int64_t input_stride = 0;
  T* output = nullptr;  // may be input (in place)
  std::int64_t output_stride = 0;
  const T* weight = nullptr;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  float eps = 1e-6f;
};

template <class T, class Layout = scale_layout::row_major, class Scale = float, int GroupSize = 128,
          class Fp8 = arch_fp8>
struct rmsnorm_quant_args {
  using input_type = T;
  using layout = Layout;
  using scale_type = Scale;
  using output_type = fp8_output_t<Fp8>;
  using storage_type = scale_storage_t<Layout, Scale>;
  static constexpr int group_size = GroupSize;

  const T* input = nullptr;
  std::int64_t input_stride = 0;
  const T* weight = nullptr;
  float eps = 1e-6f;      // RMSNorm's
  T* residual = nullptr;  // optional: x = input + residual, and residual <- round_to_T(x)
  std::int64_t residual_stride = 0;
  T* output = nullptr;  // optional: the normalized rows, unquantized (may be input: in place)
  std::int64_t output_stride = 0;
  output_type* codes = nullptr;
  std::int64_t code_stride = 0;
  storage_type* scales = nullptr;
  std::int64_t scale_stride = 0;  // Layout::natural_stride(rows, cols / GroupSize)
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  float fp8_max = 0.0f;  // 0: the format's max
  float quant_eps = 1e-10f;
  norm_tensor<T> second;
};

namespace quant_detail {

template <class F>
struct type_tag {
  using type = F;
};

inline status fused_error(status_code code, const std::string& message) {
  return status::error(code, "rmsnorm_quant: " + message);
}

template <class T>
status check_rows(const char* name, const T* p, std::int64_t stride, std::int64_t cols) {
  if (p == nullptr) return fused_error(status_code::null_pointer, std::string(name) + " is null");
  if (stride < cols)
    return fused_error(status_code::invalid_stride,
                       std::string(name) + " stride (" + num(stride) + ") is smaller than its row (" + num(cols) + ")");
  if (!aligned(p, 16) || (stride * static_cast<std::int64_t>(sizeof(T))) % 16 != 0)
    return fused_error(status_code::misaligned,
                       std::string(name) + " must be 16-byte aligned with a stride of a multiple of 16 bytes");
  if (!platform::is_device_accessible(p))
    return fused_error(status_code::not_device_memory, std::string(name) + " is not memory the GPU can access");
  return status::success();
}

}  // namespace quant_detail

template <class T, class Layout, class Scale, int GroupSize, class Fp8>
status can_implement(const rmsnorm_quant_args<T, Layout, Scale, GroupSize, Fp8>& a) {
  using quant_detail::fused_error;
  using quant_detail::num;
  using storage = scale_storage_t<Layout, Scale>;
  const norm_tensor<T>& k = a.second;
  if (a.rows < 0 || a.cols < 0 || k.rows < 0 || k.cols < 0)
    return fused_error(status_code::invalid_shape, "rows and cols must not be negative");
  if (a.cols % GroupSize != 0 || (a.rows > 0 && a.cols == 0))
    return fused_error(status_code::invalid_shape, "cols (" + num(a.cols) +
                                                       ") must be a positive multiple of the group size (" +
                                                       num(static_cast<std::int64_t>(GroupSize)) + ")");
  if (k.rows > 0 && k.cols == 0) return fused_error(status_code::invalid_shape, "second.cols must be positive");
  if (a.cols > std::numeric_limits<int>::max() || k.cols > std::numeric_limits<int>::max() ||
      a.rows > std::numeric_limits<int>::max())
    return fused_error(status_code::invalid_shape, "rows and cols must be below 2^31");
  if (!(a.eps > 0.0f && a.eps <= std::numeric_limits<float>::max()) ||
      (k.rows > 0 && !(k.eps > 0.0f && k.eps <= std::numeric_limits<float>::max())))
    return fused_error(status_code::invalid_value, "eps and second.eps must be finite and > 0");
  if (status s = quant_detail::check_quant_values(a.fp8_max, a.quant_eps, quant_detail::format_max<Fp8>()); !s.ok())
    return s;
  if (a.rows == 0 && k.rows == 0) return status::success();

  using quant_detail::check_rows;
  if (a.rows > 0) {
    if (status s = check_rows("input", a.input, a.input_stride, a.cols); !s.ok()) return s;
    if (status s = check_rows("weight", a.weight, a.cols, a.cols); !s.ok()) return s;
    if (a.residual)
      if (status s = check_rows("residual", a.residual, a.residual_stride, a.cols); !s.ok()) return s;
    if (a.output)
      if (status s = check_rows("output", a.output, a.output_stride, a.cols); !s.ok()) return s;
    if (status s = quant_detail::check_quant_output<Layout, Scale, GroupSize>(
            a.codes, a.code_stride, a.scales, a.scale_stride, a.rows, a.cols, "rmsnorm_quant: ");
        !s.ok())
      return s;
    if (!platform::is_device_accessible(a.codes) || !platform::is_device_accessible(a.scales))
      return fused_error(status_code::not_device_memory, "codes and scales must be memory the GPU can access");
  }
  if (k.rows > 0) {
    if (status s = check_rows("second.input", k.input, k.input_stride, k.cols); !s.ok()) return s;
    if (status s = check_rows("second.output", k.output, k.output_stride, k.cols); !s.ok()) return s;
    if (status s = check_rows("second.weight", k.weight, k.cols, k.cols); !s.ok()) return s;
  }

  // Written regions must not touch anything else, except an output exactly in place of its input.
  struct named {
    norm_detail::strided_region region;
    const char* name;
    const void* in_place_of;
  };
  std::vector<named> all;
  if (a.rows > 0) {
    all.push_back({norm_detail::region_of(a.input, a.rows, a.cols, a.input_stride), "input", nullptr});
    all.push_back({norm_detail::region_of(a.weight, 1, a.cols, a.cols), "weight", nullptr});
    all.push_back({norm_detail::region_of(a.codes, a.rows, a.cols, a.code_stride), "codes", nullptr});
    all.push_back({norm_detail::region_of(a.scales, 1, Layout::extent(a.rows, a.cols / GroupSize, a.scale_stride),
                                          Layout::extent(a.rows, a.cols / GroupSize, a.scale_stride)),
                   "scales", nullptr});
    if (a.residual)
      all.push_back({norm_detail::region_of(a.residual, a.rows, a.cols, a.residual_stride), "residual", nullptr});
    if (a.output) all.push_back({norm_detail::region_of(a.output, a.rows, a.cols, a.output_stride), "output", a.input});
  }
  if (k.rows > 0) {
    all.push_back({norm_detail::region_of(k.input, k.rows, k.cols, k.input_stride), "second.input", nullptr});
    all.push_back({norm_detail::region_of(k.weight, 1, k.cols, k.cols), "second.weight", nullptr});
    all.push_back({norm_detail::region_of(k.output, k.rows, k.cols, k.output_stride), "second.output", k.input});
  }
  const auto written = [](const std::string& n) {
    return n == "codes" || n == "scales" || n == "residual" || n == "output" || n == "second.output";
  };
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = i + 1; j < all.size(); ++j) {
      if (!written(all[i].name) && !written(all[j].name)) continue;
      const bool in_place =
          (all[j].in_place_of != nullptr && reinterpret_cast<const void*>(all[i].region.base) == all[j].in_place_of &&
           all[i].region.base == all[j].region.base && all[i].region.stride_bytes == all[j].region.stride_bytes);
      if (!in_place && norm_detail::regions_overlap(all[i].region, all[j].region))
        return fused_error(status_code::overlap, std::string(all[i].name) + " and " + all[j].name + " overlap");
    }
  }
  (void)sizeof(storage);
  return status::success();
}

namespace quant_detail {

// The first RMSNorm tier whose cached capacity holds the longer row; on a GPU only tiers whose
// rows take at least a wave, so a wave never mixes rows. The shape follows the norm's rule
// (pick_row_launch) for the fused quantizer; `op` says whether the caller runs the shape in paired
// vectors (paired_row_config) and with a residual: those block rows have rules of their own.
template <class Arch, class T, int Tier = 0, class F>
status with_fused_row_config(std::int64_t row_elements, F&& f, norm_detail::launch_size size,
                             row_op op = row_op::fused_quant) {
  using candidate = row_tier_config<Arch, T, Tier>;
  constexpr bool usable = Arch::id == arch_id::host || candidate::row_threads >= Arch::wave_size;
  if constexpr (Tier + 1 >= row_tier_count<Arch>) {
    return f(candidate{});
  } else {
    if constexpr (usable) {
      if (row_elements <= candidate::max_cached_elements)
        return norm_detail::with_tier_kind<Arch, T, Tier>(
            pick_row_launch<Arch>(Tier, size.rows, size.elements, op),
            std::forward<F>(f));
    }
    return with_fused_row_config<Arch, T, Tier + 1>(row_elements, std::forward<F>(f), size, op);
  }
}

// The same rows with two 16-byte vectors per lane and group piece, so the quantizer's per-group
// work (the amax shuffles, the scale's division and reciprocal, the scale store) serves 16 values
// per lane instead of 8: that work is most of what this issue-bound kernel executes beyond the
// norm. Rows of one vector per lane give up half their threads instead; streaming rows stay.
template <class Arch, class C>
struct paired_row_config {
  static constexpr bool pairs = Arch::id != arch_id::host && C::vecs_per_thread > 0 &&
                                (C::vecs_per_thread >= 2 || C::row_threads / 2 >= Arch::wave_size);
  static constexpr bool halve_threads = C::vecs_per_thread == 1;
  using type = std::conditional_t<
      pairs,
      row_config<halve_threads ? C::row_threads / 2 : C::row_threads, (C::vecs_per_thread + 1) / 2, 2 * C::vec,
                 (halve_threads && C::row_threads == C::block_threads) ? C::block_threads / 2 : C::block_threads,
                 C::prefetch_weight>,
      C>;
};

}  // namespace quant_detail

template <class T, class Layout, class Scale, int GroupSize, class Fp8>
status rmsnorm_quant(const rmsnorm_quant_args<T, Layout, Scale, GroupSize, Fp8>& a,
                     platform::launch_stream stream = {}) {
  if (status s = can_implement(a); !s.ok()) return s;
  if (a.rows == 0 && a.second.rows == 0) return status::success();
  return with_detected_arch([&](auto arch_tag) -> status {
    using Arch = decltype(arch_tag);
    using P = quant_policy_t<Arch, Fp8>;
    using fp8 = typename P::fp8_type;
    constexpr int vec_n = elements_per_access<T, Arch::max_vector_bytes>;
    if (status s = quant_detail::check_quant_values(a.fp8_max, a.quant_eps, fp8::max_finite); !s.ok()) return s;
    if (Arch::id != arch_id::host && a.cols % (Arch::wave_size * vec_n) != 0)
      return quant_detail::fused_error(status_code::invalid_shape,
                                       "cols (" + quant_detail::num(a.cols) + ") must be a multiple of " +
                                           quant_detail::num(static_cast<std::int64_t>(Arch::wave_size * vec_n)) +
                                           " on " + Arch::name +
                                           " (a wave's 16-byte vectors); use rmsnorm and group_quant for other widths");
    const std::int64_t longest = a.cols > a.second.cols ? a.cols : a.second.cols;
    rmsnorm_quant_params<T, fp8, Layout, Scale, GroupSize> p{};
    p.quantized.input = a.input;
    p.quantized.output = a.output;
    p.quantized.residual = a.residual;
    p.quantized.weight = a.weight;
    p.quantized.input_stride = a.input_stride;
    p.quantized.output_stride = a.output_stride;
    p.quantized.residual_stride = a.residual_stride;
    p.quantized.rows = a.rows;
    p.quantized.n = static_cast<int>(a.cols);
    p.quantized.eps = a.eps;
    p.codes = reinterpret_cast<fp8*>(a.codes);
    p.code_stride = a.code_stride;
    p.scales = {a.scales, a.scale_stride};
    p.fp8_max = a.fp8_max == 0.0f ? fp8::max_finite : a.fp8_max;
    p.quant_eps = a.quant_eps;
    p.plain.input = a.second.input;
    p.plain.output = a.second.output;
    p.plain.weight = a.second.weight;
    p.plain.input_stride = a.second.input_stride;
    p.plain.output_stride = a.second.output_stride;
    p.plain.rows = a.second.rows;
    p.plain.n = static_cast<int>(a.second.cols);
    p.plain.eps = a.second.eps;
    const auto launch_functor = [&](auto functor_tag, std::int64_t blocks) -> status {
      using F = typename decltype(functor_tag)::type;
      if (blocks > std::numeric_limits<int>::max())
        return quant_detail::fused_error(status_code::invalid_shape, "too many rows for one launch");
      return platform::launch(rmsnorm_quant_kernel<F>, {static_cast<int>(blocks), 1}, F::block_threads, 0, stream, p);
    };

    // One block per token where q and k rows fill one and nothing else is asked of the token (no
    // residual), two adjacent 16-byte vectors per thread where the rows allow it (docs/quantization.md).
    if constexpr (Arch::id != arch_id::host && GroupSize % vec_n == 0 && GroupSize / vec_n <= Arch::wave_size) {
      const bool token_rows = a.residual == nullptr && a.second.rows == a.rows;
      const auto token = [&](auto block_tag, auto vecs_tag) {
        using F = rmsnorm_quant_token_rows<P, T, decltype(block_tag)::value, Layout, Scale, GroupSize,
                                           decltype(vecs_tag)::value>;
        using chained = rmsnorm_quant_token_rows<P, T, decltype(block_tag)::value, Layout, Scale, GroupSize,
                                                 decltype(vecs_tag)::value, true>;
        if (stream.programmatic_dependent_launch) return launch_functor(quant_detail::type_tag<chained>{}, a.rows);
        return launch_functor(quant_detail::type_tag<F>{}, a.rows);
      };
      using one = std::integral_constant<int, 1>;
      using two = std::integral_constant<int, 2>;
      if constexpr (GroupSize % (2 * vec_n) == 0) {
        const int threads = token_rows ? qk_token_block_threads<Arch, T>(a.cols, a.second.cols, 2) : 0;
        if (threads == 128) return token(std::integral_constant<int, 128>{}, two{});
        if (threads == 256) return token(std::integral_constant<int, 256>{}, two{});
        if (threads == 512) return token(std::integral_constant<int, 512>{}, two{});
        if (threads == 1024) return token(std::integral_constant<int, 1024>{}, two{});
      }
      const int threads = token_rows ? qk_token_block_threads<Arch, T>(a.cols, a.second.cols, 1) : 0;
      if (threads == 256) return token(std::integral_constant<int, 256>{}, one{});
      if (threads == 512) return token(std::integral_constant<int, 512>{}, one{});
      if (threads == 1024) return token(std::integral_constant<int, 1024>{}, one{});
    }

    const auto launch = [&](auto config) -> status {
      using C = decltype(config);
      if (a.residual) {
        using F = rmsnorm_quant_rows<P, T, C, Layout, Scale, GroupSize, true>;
        return launch_functor(quant_detail::type_tag<F>{}, F::blocks_for(a.rows + a.second.rows));
      }
      using F = rmsnorm_quant_rows<P, T, C, Layout, Scale, GroupSize, false>;
      return launch_functor(quant_detail::type_tag<F>{}, F::blocks_for(a.rows + a.second.rows));
    };
    // Paired vectors need every wave to reach each group together with 32-byte pieces per lane.
    // Measured on H100 (bench/sweep_rmsnorm): they win in every launch that holds the row in
    // registers ([T, 7168] T = 128: 3.86 vs 4.34 µs; T = 65536: 465 vs 509 µs once the bf16
    // conversions and the weight offset stopped costing instructions; MLA T = 4096: 15.2 vs 16.4).
    const bool paired = a.cols % (Arch::wave_size * 2 * vec_n) == 0 && GroupSize % (2 * vec_n) == 0;
    return quant_detail::with_fused_row_config<Arch, T>(longest, [&](auto tier_config) -> status {
      using C = decltype(tier_config);
      using Paired = typename quant_detail::paired_row_config<Arch, C>::type;
      if constexpr (!std::is_same_v<Paired, C>) {
        if (paired) return launch(Paired{});
      }
      return launch(tier_config);
    }, norm_detail::launch_size{a.rows + a.second.rows, a.rows * a.cols + a.second.rows * a.second.cols},
       !paired ? row_op::fused_quant : a.residual ? row_op::fused_quant_paired_residual : row_op::fused_quant_paired);
  });
}

}  // namespace hipfuse
