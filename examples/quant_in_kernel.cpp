// Quantizing activations inside your own kernel: a SwiGLU MLP computes act = SiLU(gate) * up from
// the [T, 2I] gate_up projection and, in the same kernel, turns each 1x128 group of act into fp8
// codes and one scale in the column-major, 4-aligned layout a DeepGEMM-style block-scale GEMM
// reads next. hipfuse::group_quantizer does the group's amax (across the lanes that hold it), the
// scale and the packed hardware fp8 convert; the kernel decides what the values are and where
// they go.
//
// Checks: the codes and scales equal, bit for bit, what the library's group_quant launcher makes of
// the same activations (kept in bf16 here for that comparison), and every dequantized value is
// within fp8 rounding of the activation. Runs on the GPU it is compiled for (nvcc: NVIDIA; hipcc:
// AMD) or, built as plain C++, on the host backend.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <hipfuse/kernel.hpp>
#include <hipfuse/quant/group_quant.hpp>
#include <hipfuse/platform/device_buffer.hpp>
#include <hipfuse/quant/group_quant_launch.hpp>
#include <random>
#include <vector>

using hipfuse::bfloat16;
using scales_layout = hipfuse::scale_layout::column_major_aligned4;

constexpr int group = 128;

HIPFUSE_HOST_DEVICE inline float silu(float x) { return x / (1.0f + expf(-x)); }

// Lanes lanes hold one group, 128 / Lanes consecutive values each (16 on a GPU, all 128 on the
// host platform's single lane). Each step of the grid-stride loop covers block_size / Lanes groups.
template <class Policy, int Lanes>
HIPFUSE_GLOBAL void HIPFUSE_LAUNCH_BOUNDS(256)
    swiglu_quant_kernel(const bfloat16* gate_up, int tokens, int inter, bfloat16* act, typename Policy::fp8_type* codes,
                        hipfuse::scale_view<scales_layout> scales) {
  hipfuse::kernel_body<typename Policy::arch>([&] {
    namespace platform = hipfuse::platform;
    constexpr int per_lane = group / Lanes;
    const int groups_per_row = inter / group;
    const std::int64_t total = static_cast<std::int64_t>(tokens) * groups_per_row;
    const int lane = platform::thread_rank() % Lanes;
    const int slots = platform::block_size() / Lanes;
    for (std::int64_t first = static_cast<std::int64_t>(platform::block_rank_x()) * slots; first < total;
         first += static_cast<std::int64_t>(platform::grid_size_x()) * slots) {
      const std::int64_t id = first + platform::thread_rank() / Lanes;
      const bool active = id < total;  // inactive lanes still join the group's shuffles
      const int row = active ? static_cast<int>(id / groups_per_row) : 0;
      const int g = active ? static_cast<int>(id % groups_per_row) : 0;
      const std::int64_t column = static_cast<std::int64_t>(g) * group + lane * per_lane;
      float v[per_lane];
      for (int i = 0; i < per_lane; ++i) {
        const std::int64_t in = static_cast<std::int64_t>(row) * 2 * inter + column + i;
        const float gate = active ? hipfuse::to_float(gate_up[in]) : 0.0f;
        const float up = active ? hipfuse::to_float(gate_up[in + inter]) : 0.0f;
        const bfloat16 a = hipfuse::from_float<bfloat16>(silu(gate) * up);
        if (active) act[static_cast<std::int64_t>(row) * inter + column + i] = a;
        v[i] = hipfuse::to_float(a);
      }
      std::uint32_t packed[per_lane / 4];
      const auto s = hipfuse::group_quantizer<Policy, Lanes>{}(v, packed);
      if (!active) continue;
      auto* out = reinterpret_cast<std::uint32_t*>(codes + static_cast<std::int64_t>(row) * inter + column);
      for (int i = 0; i < per_lane / 4; ++i) out[i] = packed[i];
      if (lane == 0) scales.store(row, g, s.value);
    }
  });
}

int main() {
  const bool on_host = hipfuse::compiled_platform == hipfuse::platform_kind::host;
  const int tokens = on_host ? 37 : 3001, inter = on_host ? 512 : 2048;  // DeepSeek-V3 expert: I = 2048
  const int groups = inter / group;
  const std::int64_t scale_stride = scales_layout::natural_stride(tokens, groups);
  const std::size_t scale_count = static_cast<std::size_t>(scales_layout::extent(tokens, groups, scale_stride));

  std::mt19937 rng(7168);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::vector<bfloat16> gate_up(static_cast<std::size_t>(tokens) * 2 * inter);
  for (auto& v : gate_up) v = hipfuse::from_float<bfloat16>(dist(rng));
  using hipfuse::platform::device_buffer;
  const std::size_t elements = static_cast<std::size_t>(tokens) * inter;
  device_buffer<bfloat16> d_gate_up(gate_up), d_act(elements);
  device_buffer<std::uint8_t> d_codes(elements), d_codes_ref(elements);
  device_buffer<float> d_scales(scale_count), d_scales_ref(scale_count);
  if (!d_gate_up.ok() || !d_act.ok() || !d_codes.ok() || !d_codes_ref.ok() || !d_scales.ok() || !d_scales_ref.ok()) {
    std::printf("FAILED: could not set up device memory\n");
    return 1;
  }

  // 1. The user's kernel, instantiated for the arch found at run time.
  bool fnuz = false;
  hipfuse::status s = hipfuse::with_detected_arch([&](auto arch_tag) {
    using Arch = decltype(arch_tag);
    using P = hipfuse::policy<Arch>;
    constexpr int lanes = Arch::wave_size == 1 ? 1 : 8;
    const int block = Arch::wave_size == 1 ? 1 : 256;
    const std::int64_t blocks = (static_cast<std::int64_t>(tokens) * groups + block / lanes - 1) / (block / lanes);
    fnuz = std::is_same_v<typename P::fp8_type, hipfuse::float8_e4m3fnuz>;
    return hipfuse::platform::launch(swiglu_quant_kernel<P, lanes>,
                                     {static_cast<int>(blocks < 65536 ? blocks : 65536), 1}, block, 0, nullptr,
                                     d_gate_up.get(), tokens, inter, d_act.get(),
                                     reinterpret_cast<typename P::fp8_type*>(d_codes.get()),
                                     hipfuse::scale_view<scales_layout>{d_scales.get(), scale_stride});
  });

  // 2. The library's launcher on the same (bf16) activations.
  if (s.ok()) {
    hipfuse::group_quant_args<bfloat16, scales_layout> a;
    a.input = d_act.get();
    a.input_row_stride = inter;
    a.output = d_codes_ref.get();
    a.output_row_stride = inter;
    a.scales = d_scales_ref.get();
    a.scale_stride = scale_stride;
    a.rows = tokens;
    a.cols = inter;
    s = hipfuse::group_quant(a);
  }
  if (s.ok()) s = hipfuse::platform::synchronize();
  if (!s.ok()) {
    std::printf("FAILED: %s: %s\n", hipfuse::to_string(s.code), s.message.c_str());
    return 1;
  }
  const auto act = d_act.download();
  const auto codes = d_codes.download(), codes_ref = d_codes_ref.download();
  const auto scales = d_scales.download(), scales_ref = d_scales_ref.download();

  // 3. Compare with the launcher, and dequantize.
  std::size_t code_diffs = 0, scale_diffs = 0, out_of_tolerance = 0;
  for (std::size_t i = 0; i < codes.size(); ++i) code_diffs += codes[i] != codes_ref[i];
  for (int t = 0; t < tokens; ++t) {
    for (int g = 0; g < groups; ++g) {
      const float scale = scales[static_cast<std::size_t>(g) * scale_stride + t];
      scale_diffs += std::memcmp(&scale, &scales_ref[static_cast<std::size_t>(g) * scale_stride + t], 4) != 0;
      for (int i = 0; i < group; ++i) {
        const std::size_t at = static_cast<std::size_t>(t) * inter + g * group + i;
        const float code_value = fnuz ? hipfuse::fp8_to_float(hipfuse::float8_e4m3fnuz{codes[at]})
                                      : hipfuse::fp8_to_float(hipfuse::float8_e4m3fn{codes[at]});
        const double a = hipfuse::to_float(act[at]);
        // e4m3 keeps 3 mantissa bits: relative error <= 2^-4, plus half the subnormal step.
        if (std::fabs(code_value * static_cast<double>(scale) - a) > std::fabs(a) / 16 + scale * std::ldexp(1.0, -10))
          ++out_of_tolerance;
      }
    }
  }
  std::printf("quant_in_kernel: SwiGLU [%d x %d] quantized in a user kernel to %s with 1x%d scales (%s)\n", tokens,
              inter, fnuz ? "e4m3fnuz" : "e4m3fn", group, scales_layout::name);
  std::printf("  codes differing from the group_quant launcher: %zu of %zu\n", code_diffs, codes.size());
  std::printf("  scales differing from the group_quant launcher: %zu of %d\n", scale_diffs, tokens * groups);
  std::printf("  dequantized values beyond fp8 rounding of the activation: %zu\n", out_of_tolerance);
  const bool passed = code_diffs == 0 && scale_diffs == 0 && out_of_tolerance == 0;
  std::printf("%s\n", passed ? "PASSED" : "FAILED");
  return passed ? 0 : 1;
}
