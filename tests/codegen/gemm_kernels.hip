// Block-scale GEMM kernels compiled for gfx942 and gfx950, read by test_gemm_isa.cpp and the
// resource report. The kernels are the library's own (block_scale_gemm_kernel); the instantiations
// name each (arch, layout, scale type, tile) the launcher can pick.
#include <hipfuse/gemm/block_scale_gemm.hpp>
#include <hipfuse/gemm/preshuffle.hpp>

namespace hipfuse_codegen {
using namespace hipfuse;
using namespace hipfuse::gemm;

using p942 = policy<arch::gfx942>;
using p950 = policy<arch::gfx950>;

// gfx942: e4m3fnuz, fp32 scales (column-major A scales as DeepGEMM/sglang pass them).
using args942 = block_scale_gemm_args<float8_e4m3fnuz, scale_col_major, float, b_standard, float>;
using args942_pre = block_scale_gemm_args<float8_e4m3fnuz, scale_row_major, float, b_preshuffled, float>;
// gfx950: OCP e4m3, fp32 scales (plain f8f6f4 + fp32 promotion) and UE8M0 scales (scaled MFMA).
using args950 = block_scale_gemm_args<float8_e4m3fn, scale_col_major, float, b_standard, float>;
using args950_ue8m0 = block_scale_gemm_args<float8_e4m3fn, scale_col_major, ue8m0, b_standard, ue8m0>;
using args950_pre = block_scale_gemm_args<float8_e4m3fn, scale_row_major, float, b_preshuffled, float>;
using args950_pre_ue8m0 = block_scale_gemm_args<float8_e4m3fn, scale_col_major, ue8m0, b_preshuffled, ue8m0>;

}  // namespace hipfuse_codegen

using namespace hipfuse_codegen;
template __global__ void hipfuse::gemm::block_scale_gemm_kernel<p942, args942, false>(args942);
template __global__ void hipfuse::gemm::block_scale_gemm_kernel<p942, args942, true>(args942);
template __global__ void hipfuse::gemm::block_scale_gemm_kernel<p942, args942_pre, false>(args942_pre);
template __global__ void hipfuse::gemm::block_scale_gemm_kernel<p950, args950, false>(args950);
template __global__ void hipfuse::gemm::block_scale_gemm_kernel<p950, args950, true>(args950);
template __global__ void hipfuse::gemm::block_scale_gemm_kernel<p950, args950_ue8m0, false>(args950_ue8m0);
template __global__ void hipfuse::gemm::block_scale_gemm_kernel<p950, args950_ue8m0, true>(args950_ue8m0);
template __global__ void hipfuse::gemm::block_scale_gemm_kernel<p950, args950_pre, false>(args950_pre);
template __global__ void hipfuse::gemm::block_scale_gemm_kernel<p950, args950_pre, true>(args950_pre);
template __global__ void hipfuse::gemm::block_scale_gemm_kernel<p950, args950_pre_ue8m0, false>(args950_pre_ue8m0);
template __global__ void hipfuse::gemm::preshuffle_b_kernel<p942, hipfuse::float8_e4m3fnuz>(
    hipfuse::gemm::preshuffle_b_args<hipfuse::float8_e4m3fnuz>);
template __global__ void hipfuse::gemm::preshuffle_b_kernel<p950, hipfuse::float8_e4m3fn>(
    hipfuse::gemm::preshuffle_b_args<hipfuse::float8_e4m3fn>);
