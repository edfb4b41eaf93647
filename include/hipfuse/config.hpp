// hipfuse configuration: version, the platform this translation unit is compiled for, and the
// function qualifiers every other header uses. This is the only header that reads compiler macros
// to decide between HIP (clang, AMD), CUDA (nvcc, NVIDIA) and plain host C++.
#pragma once

#define HIPFUSE_VERSION_MAJOR 0
#define HIPFUSE_VERSION_MINOR 1
#define HIPFUSE_VERSION_PATCH 0

#if defined(__HIP__)
#define HIPFUSE_PLATFORM_HIP 1
#include <hip/hip_runtime.h>
#elif defined(__CUDACC__)
#define HIPFUSE_PLATFORM_CUDA 1
#include <cuda_runtime.h>
#else
#define HIPFUSE_PLATFORM_HOST 1
#endif

// The device compilation pass of a GPU build (as opposed to its host pass or a plain host build).
#if (defined(__HIP_DEVICE_COMPILE__) && __HIP_DEVICE_COMPILE__) || defined(__CUDA_ARCH__)
#define HIPFUSE_DEVICE_PASS 1
#endif

#if defined(HIPFUSE_PLATFORM_HOST)
#define HIPFUSE_HOST_DEVICE
#define HIPFUSE_DEVICE
#define HIPFUSE_GLOBAL
#define HIPFUSE_SHARED
#define HIPFUSE_FORCEINLINE inline __attribute__((always_inline))
#define HIPFUSE_LAUNCH_BOUNDS(threads)
#else
#define HIPFUSE_HOST_DEVICE __host__ __device__
#define HIPFUSE_DEVICE __device__
#define HIPFUSE_GLOBAL __global__
#define HIPFUSE_SHARED __shared__
#define HIPFUSE_FORCEINLINE __forceinline__
#define HIPFUSE_LAUNCH_BOUNDS(threads) __launch_bounds__(threads)
#endif

// Loop unrolling hint for device compilers; g++ would warn about an unknown pragma.
#if defined(HIPFUSE_PLATFORM_HOST)
#define HIPFUSE_UNROLL
#else
#define HIPFUSE_UNROLL _Pragma("unroll")
#endif

namespace hipfuse {

// Which side of the build this translation unit is: the platform decides what "device" means.
enum class platform_kind { hip, cuda, host };

#if defined(HIPFUSE_PLATFORM_HIP)
inline constexpr platform_kind compiled_platform = platform_kind::hip;
#elif defined(HIPFUSE_PLATFORM_CUDA)
inline constexpr platform_kind compiled_platform = platform_kind::cuda;
#else
inline constexpr platform_kind compiled_platform = platform_kind::host;
#endif

template <class T>
inline constexpr bool dependent_false = false;

}  // namespace hipfuse
