// Quantization kernels compiled for gfx942 and gfx950, read by test_quant_isa.cpp: the launcher's
// kernels for bf16/fp16/fp32 inputs and each scale layout, and a user kernel that quantizes its
// own values through group_quantizer.
#include <cstdint>
#include <hipfuse/quant/group_quant_launch.hpp>
#include <hipfuse/quant/rmsnorm_quant.hpp>
#include <hipfuse/quant/rmsnorm_quant_launch.hpp>

namespace hipfuse_codegen {

using namespace hipfuse;

// SiLU(gate) * up quantized in registers: 8 lanes per group of 128, 16 values each.
template <class Policy>
__global__ void __launch_bounds__(256)
    user_silu_quant_kernel(const float* gate, const float* up, std::uint32_t* codes, float* scales, int groups) {
  kernel_body<typename Policy::arch>([&] {
    const int tid = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    const int group = tid / 8, lane = tid % 8;
    const bool active = group < groups;
    float v[16];
    for (int i = 0; i < 16; ++i) {
      const int at = group * 128 + lane * 16 + i;
      const float g = active ? gate[at] : 0.0f, u = active ? up[at] : 0.0f;
      v[i] = g / (1.0f + __expf(-g)) * u;
    }
    std::uint32_t q[4];
    const auto s = group_quantizer<Policy, 8>{}(v, q);
    if (!active) return;
    for (int i = 0; i < 4; ++i) codes[group * 32 + lane * 4 + i] = q[i];
    if (lane == 0) scales[group] = s.value;
  });
}

template __global__ void user_silu_quant_kernel<policy<arch::gfx942>>(const float*, const float*, std::uint32_t*,
                                                                      float*, int);
template __global__ void user_silu_quant_kernel<policy<arch::gfx950>>(const float*, const float*, std::uint32_t*,
                                                                      float*, int);

// The fused norm -> quant in the configurations the launcher picks on AMD: MLA q (1536, a wave per
// row, 4 vectors per lane) and hidden states (7168, a block per row, with the residual).
template <class Arch, class Layout, class Scale, int Tier, bool Residual>
using fused =
    hipfuse::rmsnorm_quant_rows<hipfuse::policy<Arch>, hipfuse::bfloat16,
                                hipfuse::row_tier_config<Arch, hipfuse::bfloat16, Tier>, Layout, Scale, 128, Residual>;

// The launcher's paired form (two 16-byte vectors per lane and group piece) of a tier's shape.
template <class Arch, class Layout, class Scale, int Tier, hipfuse::row_launch Kind>
using fused_paired = hipfuse::rmsnorm_quant_rows<
    hipfuse::policy<Arch>, hipfuse::bfloat16,
    typename hipfuse::quant_detail::paired_row_config<Arch,
                                                      hipfuse::row_tier_config<Arch, hipfuse::bfloat16, Tier, Kind>>::type,
    Layout, Scale, 128, false>;

template <class Arch, class In, class Layout, class Scale, int G>
using quant = hipfuse::group_quant_functor<hipfuse::policy<Arch>, In, Layout, Scale, G>;

}  // namespace hipfuse_codegen

// Explicit instantiations live in a namespace enclosing hipfuse's.
#define HIPFUSE_QUANT_INSTANCE(Arch, In, Layout, Scale, G)                                                  \
  template __global__ void hipfuse::group_quant_kernel<hipfuse_codegen::quant<Arch, In, Layout, Scale, G>>( \
      const hipfuse_codegen::quant<Arch, In, Layout, Scale, G>::params, bool);

#define HIPFUSE_QUANT_BOTH(In, Layout, Scale, G)                      \
  HIPFUSE_QUANT_INSTANCE(hipfuse::arch::gfx942, In, Layout, Scale, G) \
  HIPFUSE_QUANT_INSTANCE(hipfuse::arch::gfx950, In, Layout, Scale, G)

HIPFUSE_QUANT_BOTH(hipfuse::bfloat16, hipfuse::scale_layout::row_major, float, 128)
HIPFUSE_QUANT_BOTH(hipfuse::bfloat16, hipfuse::scale_layout::column_major_aligned4, float, 128)
HIPFUSE_QUANT_BOTH(hipfuse::bfloat16, hipfuse::scale_layout::ue8m0_packed_column_major, hipfuse::ue8m0, 128)
HIPFUSE_QUANT_BOTH(hipfuse::float16, hipfuse::scale_layout::column_major, float, 64)
HIPFUSE_QUANT_BOTH(float, hipfuse::scale_layout::row_major, float, 128)
HIPFUSE_QUANT_BOTH(hipfuse::bfloat16, hipfuse::scale_layout::row_major, float, 32)

// OCP e4m3fn on gfx942 through the policy: no hardware convert for it there, so it is emulated.
using ocp_on_gfx942 =
    hipfuse::group_quant_functor<hipfuse::with_fp8<hipfuse::policy<hipfuse::arch::gfx942>, hipfuse::float8_e4m3fn>,
                                 hipfuse::bfloat16, hipfuse::scale_layout::row_major, float, 128>;
template __global__ void hipfuse::group_quant_kernel<ocp_on_gfx942>(const ocp_on_gfx942::params, bool);

#define HIPFUSE_FUSED_INSTANCE(Arch, Layout, Scale, Tier, Residual)                                                    \
  template __global__ void hipfuse::rmsnorm_quant_kernel<hipfuse_codegen::fused<Arch, Layout, Scale, Tier, Residual>>( \
      const hipfuse_codegen::fused<Arch, Layout, Scale, Tier, Residual>::params);

HIPFUSE_FUSED_INSTANCE(hipfuse::arch::gfx942, hipfuse::scale_layout::column_major_aligned4, float, 3, false)
HIPFUSE_FUSED_INSTANCE(hipfuse::arch::gfx950, hipfuse::scale_layout::column_major_aligned4, float, 3, false)
HIPFUSE_FUSED_INSTANCE(hipfuse::arch::gfx942, hipfuse::scale_layout::row_major, float, 5, true)
HIPFUSE_FUSED_INSTANCE(hipfuse::arch::gfx950, hipfuse::scale_layout::ue8m0_packed_column_major, hipfuse::ue8m0, 5, true)

#define HIPFUSE_PAIRED_INSTANCE(Arch, Layout, Scale, Tier, Kind)                                                  \
  template __global__ void                                                                                       \
      hipfuse::rmsnorm_quant_kernel<hipfuse_codegen::fused_paired<Arch, Layout, Scale, Tier, Kind>>(             \
          const hipfuse_codegen::fused_paired<Arch, Layout, Scale, Tier, Kind>::params);

HIPFUSE_PAIRED_INSTANCE(hipfuse::arch::gfx942, hipfuse::scale_layout::row_major, float, 5, hipfuse::row_launch::wide)
HIPFUSE_PAIRED_INSTANCE(hipfuse::arch::gfx950, hipfuse::scale_layout::row_major, float, 5, hipfuse::row_launch::wide)
HIPFUSE_PAIRED_INSTANCE(hipfuse::arch::gfx942, hipfuse::scale_layout::column_major_aligned4, float, 3,
                        hipfuse::row_launch::streaming)
HIPFUSE_PAIRED_INSTANCE(hipfuse::arch::gfx950, hipfuse::scale_layout::column_major_aligned4, float, 3,
                        hipfuse::row_launch::streaming)

// One block per token, q's lanes quantizing their values: MLA with one 16-byte vector per thread
// (256 threads = 4 waves of 64 on AMD), and q 2048 + k 1024 with two (192 of 256 threads).
namespace hipfuse_codegen {
template <class Arch, int Vecs>
using fused_token = hipfuse::rmsnorm_quant_token_rows<hipfuse::policy<Arch>, hipfuse::bfloat16, 256,
                                                      hipfuse::scale_layout::column_major_aligned4, float, 128, Vecs>;
}  // namespace hipfuse_codegen

#define HIPFUSE_FUSED_TOKEN_INSTANCE(Arch, Vecs)                                                       \
  template __global__ void hipfuse::rmsnorm_quant_kernel<hipfuse_codegen::fused_token<Arch, Vecs>>( \
      const hipfuse_codegen::fused_token<Arch, Vecs>::params);

HIPFUSE_FUSED_TOKEN_INSTANCE(hipfuse::arch::gfx942, 1)
HIPFUSE_FUSED_TOKEN_INSTANCE(hipfuse::arch::gfx950, 1)
HIPFUSE_FUSED_TOKEN_INSTANCE(hipfuse::arch::gfx942, 2)
HIPFUSE_FUSED_TOKEN_INSTANCE(hipfuse::arch::gfx950, 2)
