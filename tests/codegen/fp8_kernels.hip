// fp8 conversion kernels compiled for gfx942 and gfx950, read by test_fp8_isa.cpp.
#include <cstdint>
#include <hipfuse/kernel.hpp>
#include <hipfuse/numeric/fp8_convert.hpp>

namespace hipfuse_codegen {

template <class Policy>
__global__ void __launch_bounds__(256) fp8_convert_kernel(const float4* in, std::uint32_t* out, int n) {
  hipfuse::kernel_body<typename Policy::arch>([&] {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (i < n) {
      const float4 v = in[i];
      out[i] = hipfuse::convert_to_fp8x4<Policy>(v.x, v.y, v.z, v.w);
    }
  });
}

template <class Policy>
__global__ void __launch_bounds__(256) fp8_convert_pair_kernel(const float2* in, std::uint16_t* out, int n) {
  hipfuse::kernel_body<typename Policy::arch>([&] {
    const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
    if (i < n) out[i] = hipfuse::convert_to_fp8x2<Policy>(in[i].x, in[i].y);
  });
}

template __global__ void fp8_convert_pair_kernel<hipfuse::policy<hipfuse::arch::gfx942>>(const float2*, std::uint16_t*, int);
template __global__ void fp8_convert_pair_kernel<hipfuse::policy<hipfuse::arch::gfx950>>(const float2*, std::uint16_t*, int);
template __global__ void fp8_convert_kernel<hipfuse::policy<hipfuse::arch::gfx942>>(const float4*, std::uint32_t*, int);
template __global__ void fp8_convert_kernel<hipfuse::policy<hipfuse::arch::gfx950>>(const float4*, std::uint32_t*, int);

}  // namespace hipfuse_codegen
