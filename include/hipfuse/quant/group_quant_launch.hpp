// Host launcher for per-group FP8 quantization of an [M, K] tensor (device code: group_quant.hpp).
//
//   hipfuse::group_quant_args<hipfuse::bfloat16, hipfuse::scale_layout::column_major_aligned4> a;
//   a.input = x; a.input_row_stride = K; a.output = q; a.output_row_stride = K;
//   a.scales = s; a.scale_stride = decltype(a)::layout::natural_stride(M, K / 128);
//   a.rows = M; a.cols = K;
//   hipfuse::status st = hipfuse::group_quant(a, stream);  // nothing is written unless st.ok()
//
// Fp8 = arch_fp8 writes the format of the GPU found at run time (e4m3fnuz on gfx942, e4m3fn on
// gfx950 and NVIDIA) as raw bytes; name float8_e4m3fn or float8_e4m3fnuz to fix it (a format
// the arch cannot convert in hardware is emulated).
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include "../kernel.hpp"
#include "../platform/runtime.hpp"
#include "../status.hpp"
#include "group_quant.hpp"

namespace hipfuse {

// "The fp8 format of the arch the launcher finds."
struct arch_fp8 {};

template <class Fp8>
using fp8_output_t = std::conditional_t<is_fp8_format<Fp8>, Fp8, std::uint8_t>;

namespace quant_detail {
template <class Arch, class Fp8>
struct quant_policy {
  using type = with_fp8<policy<Arch>, Fp8>;
};
template <class Arch>
struct quant_policy<Arch, arch_fp8> {
  using type = policy<Arch>;
};
}  // namespace quant_detail

// The policy a launcher uses on Arch for the requested fp8 format.
template <class Arch, class Fp8>
using quant_policy_t = typename quant_detail::quant_policy<Arch, Fp8>::type;

template <class In, class Layout = scale_layout::row_major, class Scale = float, int GroupSize = 128,
          class Fp8 = arch_fp8>
struct group_quant_args {
  static_assert(is_fp8_format<Fp8> || std::is_same_v<Fp8, arch_fp8>,
                "Fp8 is float8_e4m3fn, float8_e4m3fnuz or arch_fp8");
  using input_type = In;
  using layout = Layout;
  using scale_type = Scale;
  using scales_type = scale_view<Layout, Scale>;
  using output_type = fp8_output_t<Fp8>;
  using storage_type = typename scales_type::storage_type;
  static constexpr int group_size = GroupSize;

  const In* input = nullptr;
  output_type* output = nullptr;
  storage_type* scales = nullptr;
  std::int64_t rows = 0;               // M
  std::int64_t cols = 0;               // K, a multiple of GroupSize
  std::int64_t input_row_stride = 0;   // elements, >= cols
  std::int64_t output_row_stride = 0;  // elements, >= cols
  std::int64_t scale_stride = 0;       // storage elements: Layout::natural_stride(rows, cols / GroupSize)
  float fp8_max = 0.0f;                // 0: the format's largest value (448 e4m3fn, 240 e4m3fnuz)
  float eps = 1e-10f;
};

namespace quant_detail {

template <class Fp8>
constexpr float format_max() {
  if constexpr (is_fp8_format<Fp8>) {
    return Fp8::max_finite;
  } else {
    return 0.0f;  // decided by the arch at run time
  }
}

inline std::string num(std::int64_t v) { return std::to_string(v); }
inline std::string num(double v) { return std::to_string(v); }

inline bool aligned(const void* p, std::size_t bytes) { return reinterpret_cast<std::uintptr_t>(p) % bytes == 0; }

struct byte_range {
  const void* begin;
  std::size_t bytes;
  const char* name;
};

inline bool ranges_overlap(const byte_range& a, const byte_range& b) {
  if (a.bytes == 0 || b.bytes == 0) return false;
  const auto a0 = reinterpret_cast<std::uintptr_t>(a.begin), b0 = reinterpret_cast<std::uintptr_t>(b.begin);
  return a0 < b0 + b.bytes && b0 < a0 + a.bytes;
}

inline status check_overlap(std::initializer_list<byte_range> ranges) {
  for (auto i = ranges.begin(); i != ranges.end(); ++i)
    for (auto j = i + 1; j != ranges.end(); ++j)
      if (ranges_overlap(*i, *j))
        return status::error(status_code::overlap, std::string(i->name) + " and " + j->name + " overlap");
  return status::success();
}

inline status check_device_pointers(std::initializer_list<byte_range> ranges) {
  for (const byte_range& r : ranges)
    if (r.bytes != 0 && !platform::is_device_accessible(r.begin))
      return status::error(status_code::not_device_memory,
                           std::string(r.name) + " is not memory the current GPU can access");
  return status::success();
}

// fp8_max and eps for a format whose largest value is format_max (0: the largest of any format).
inline status check_quant_values(float fp8_max, float eps, float format_max) {
  const float limit = format_max > 0.0f ? format_max : 448.0f;
  const float resolved = fp8_max == 0.0f ? limit : fp8_max;
  if (!(resolved >= 1.0f && resolved <= limit))
    return status::error(status_code::invalid_value, "fp8_max (" + num(static_cast<double>(fp8_max)) +
                                                         ") must be 0 (the format's max) or in [1, " +
                                                         num(static_cast<double>(limit)) + "]");
  if (!(eps > 0.0f && eps <= std::numeric_limits<float>::max()) || eps / resolved < std::numeric_limits<float>::min())
    return status::error(
        status_code::invalid_value,
        "eps (" + num(static_cast<double>(eps)) + ") must be positive and finite, with eps / fp8_max a normal float");
  return status::success();
}

// Shape, stride and alignment rules of a group-quantized [rows, cols] output and its scales.
template <class Layout, class Scale, int GroupSize>
status check_quant_output(const void* output, std::int64_t output_row_stride, const void* scales,
                          std::int64_t scale_stride, std::int64_t rows, std::int64_t cols, const char* prefix) {
  using storage = scale_storage_t<Layout, Scale>;
  const std::string p = prefix;
  const std::int64_t groups = cols / GroupSize;
  if (output == nullptr) return status::error(status_code::null_pointer, p + "output is null");
  if (scales == nullptr) return status::error(status_code::null_pointer, p + "scales is null");
  if (output_row_stride < cols)
    return status::error(status_code::invalid_stride, p + "output_row_stride (" + num(output_row_stride) +
                                                          ") is smaller than cols (" + num(cols) + ")");
  const std::int64_t natural = Layout::natural_stride(rows, groups);
  if (Layout::exact_stride ? scale_stride != natural : scale_stride < natural)
    return status::error(status_code::invalid_stride,
                         p + "scale_stride (" + num(scale_stride) + ") does not fit scale layout " + Layout::name +
                             " for rows = " + num(rows) + " and " + num(groups) + " groups per row: it must be " +
                             (Layout::exact_stride ? "" : "at least ") + num(natural));
  if (!aligned(output, 16) || output_row_stride % 16 != 0)
    return status::error(status_code::misaligned, p + "output must be 16-byte aligned with output_row_stride (" +
                                                      num(output_row_stride) + ") a multiple of 16");
  if (!aligned(scales, sizeof(storage)))
    return status::error(status_code::misaligned,
                         p + "scales must be aligned to " + num(static_cast<std::int64_t>(sizeof(storage))) + " bytes");
  return status::success();
}

}  // namespace quant_detail

template <class In, class Layout, class Scale, int GroupSize, class Fp8>
status can_implement(const group_quant_args<In, Layout, Scale, GroupSize, Fp8>& a) {
  using storage = scale_storage_t<Layout, Scale>;
  using quant_detail::num;
  if (a.rows < 0 || a.cols < 0)
    return status::error(status_code::invalid_shape,
                         "rows (" + num(a.rows) + ") and cols (" + num(a.cols) + ") must not be negative");
  if (a.cols % GroupSize != 0)
    return status::error(status_code::invalid_shape, "cols (" + num(a.cols) +
                                                         ") is not a multiple of the group size (" +
                                                         num(static_cast<std::int64_t>(GroupSize)) + ")");
  const std::int64_t groups = a.cols / GroupSize;
  if (a.rows > std::numeric_limits<int>::max() || (groups > 0 && a.rows > std::numeric_limits<int>::max() / groups))
    return status::error(status_code::invalid_shape, "rows * cols / group size must be below 2^31");
  if (status s = quant_detail::check_quant_values(a.fp8_max, a.eps, quant_detail::format_max<Fp8>()); !s.ok()) return s;
  if (a.rows == 0 || a.cols == 0) return status::success();  // nothing to read or write
  if (a.input == nullptr) return status::error(status_code::null_pointer, "input is null");
  if (a.input_row_stride < a.cols)
    return status::error(status_code::invalid_stride, "input_row_stride (" + num(a.input_row_stride) +
                                                          ") is smaller than cols (" + num(a.cols) + ")");
  if (!quant_detail::aligned(a.input, 16) || (a.input_row_stride * static_cast<std::int64_t>(sizeof(In))) % 16 != 0)
    return status::error(status_code::misaligned, "input must be 16-byte aligned with input_row_stride (" +
                                                      num(a.input_row_stride) + ") a multiple of 16 bytes");
  if (status s = quant_detail::check_quant_output<Layout, Scale, GroupSize>(a.output, a.output_row_stride, a.scales,
                                                                            a.scale_stride, a.rows, a.cols, "");
      !s.ok())
    return s;
  const quant_detail::byte_range in{
      a.input, static_cast<std::size_t>(((a.rows - 1) * a.input_row_stride + a.cols) * sizeof(In)), "input"};
  const quant_detail::byte_range out{a.output, static_cast<std::size_t>((a.rows - 1) * a.output_row_stride + a.cols),
                                     "output"};
  const quant_detail::byte_range sc{
      a.scales, static_cast<std::size_t>(Layout::extent(a.rows, groups, a.scale_stride)) * sizeof(storage), "scales"};
  if (status s = quant_detail::check_overlap({in, out, sc}); !s.ok()) return s;
  return quant_detail::check_device_pointers({in, out, sc});
}

// release_dependents: let a kernel launched after this one by programmatic dependent launch (such
// as fp8_linear's GEMM, which then copies its weight meanwhile) launch now, after this grid's wait
// for its own predecessor (release_dependent_grid in kernel.hpp). Only small grids do (decode).
template <class Functor>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS(Functor::block_size)
    group_quant_kernel(const typename Functor::params p, bool release_dependents) {
  kernel_body<typename Functor::arch>([&] {
    if (release_dependents) release_dependent_grid();
    Functor{}(p, Functor::block_size);
  });
}

namespace quant_detail {
// Blocks for `work` items of `per_block` each; the functors stride over the grid beyond the cap.
inline int grid_for(std::int64_t work, int per_block) {
  const std::int64_t blocks = (work + per_block - 1) / per_block;
  constexpr std::int64_t cap = 1 << 20;
  return static_cast<int>(blocks < cap ? blocks : cap);
}
// The largest group_quant grid whose blocks release a dependent launch: releasing costs each block
// ~100 cycles (kernel.hpp), which a grid of a few waves does not notice.
inline constexpr int release_max_blocks = 512;
}  // namespace quant_detail

template <class In, class Layout, class Scale, int GroupSize, class Fp8>
status group_quant(const group_quant_args<In, Layout, Scale, GroupSize, Fp8>& a,
                   platform::launch_stream stream = {}) {
  if (status s = can_implement(a); !s.ok()) return s;
  if (a.rows == 0 || a.cols == 0) return status::success();
  return with_detected_arch([&](auto arch_tag) -> status {
    using P = quant_policy_t<decltype(arch_tag), Fp8>;
    using F = group_quant_functor<P, In, Layout, Scale, GroupSize>;
    using fp8 = typename F::fp8_type;
    if (status s = quant_detail::check_quant_values(a.fp8_max, a.eps, fp8::max_finite); !s.ok()) return s;
    typename F::params p{a.input,
                         a.input_row_stride,
                         reinterpret_cast<fp8*>(a.output),
                         a.output_row_stride,
                         {a.scales, a.scale_stride},
                         static_cast<int>(a.rows),
                         static_cast<int>(a.cols / GroupSize),
                         a.fp8_max == 0.0f ? fp8::max_finite : a.fp8_max,
                         a.eps};
    const int grid = quant_detail::grid_for(a.rows * (a.cols / GroupSize), F::groups_per_block);
    return platform::launch(group_quant_kernel<F>, {grid, 1}, F::block_size, 0, stream, p,
                            grid <= quant_detail::release_max_blocks);
  });
}

}  // namespace hipfuse
